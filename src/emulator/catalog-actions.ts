/**
 * The console operations answered from the fixtures: QuerySmsSignList, QuerySmsTemplateList,
 * GetSmsSign, GetSmsTemplate, QuerySmsQualificationRecord, QuerySingleSmsQualification. Field names
 * and JSON types follow the SDK 4.6.0 response models.
 */
import { QUALIFICATION_STATE_NAMES } from '../sms/qualification-states.js';
import type { ApprovalStatus } from '../sms/types.js';
import type { Catalog } from './catalog.js';
import { businessError, gatewayErrors } from './errors.js';
import { intParam, MAX_PAGE_SIZE, type QueryResult } from './queries.js';

const DEFAULT_CREATE_DATE = '2025-01-01 10:00:00';

const AUDIT_STATUS: Record<ApprovalStatus, string> = {
  0: 'AUDIT_STATE_INIT',
  1: 'AUDIT_STATE_PASS',
  2: 'AUDIT_STATE_NOT_PASS',
  10: 'AUDIT_SATE_CANCEL',
};


const invalid = (message: string): QueryResult => ({ ok: false, error: businessError('isv.INVALID_PARAMETERS', `参数异常: ${message}`) });

function paging(params: Record<string, string>, indexName: string): { index: number; size: number } | QueryResult {
  const index = params[indexName] === undefined ? 1 : intParam(params[indexName], 1, Number.MAX_SAFE_INTEGER);
  if (index === undefined) return invalid(`${indexName} must be a positive integer`);
  const size = params.PageSize === undefined ? 10 : intParam(params.PageSize, 1, MAX_PAGE_SIZE);
  if (size === undefined) return invalid(`PageSize must be 1..${MAX_PAGE_SIZE}`);
  return { index, size };
}

const page = <T>(items: T[], p: { index: number; size: number }): T[] => items.slice((p.index - 1) * p.size, p.index * p.size);

const reasonOf = (reason: string | undefined, date: string) => ({
  RejectDate: reason ? date : '',
  RejectInfo: reason ?? '',
  RejectSubInfo: '',
});

export function querySmsSignList(params: Record<string, string>, catalog: Catalog): QueryResult {
  const p = paging(params, 'PageIndex');
  if ('ok' in p) return p;
  return {
    ok: true,
    body: {
      CurrentPage: p.index,
      PageSize: p.size,
      TotalCount: catalog.signList.length,
      SmsSignList: page(catalog.signList, p).map((s, i) => ({
        SignName: s.signName,
        AuditStatus: AUDIT_STATUS[s.status],
        BusinessType: s.businessType ?? '通用类型',
        CreateDate: s.createDate ?? DEFAULT_CREATE_DATE,
        OrderId: `2000${(p.index - 1) * p.size + i + 1}`,
        Reason: reasonOf(s.reason, s.createDate ?? DEFAULT_CREATE_DATE),
      })),
    },
  };
}

export function querySmsTemplateList(params: Record<string, string>, catalog: Catalog): QueryResult {
  const p = paging(params, 'PageIndex');
  if ('ok' in p) return p;
  return {
    ok: true,
    body: {
      CurrentPage: p.index,
      PageSize: p.size,
      TotalCount: catalog.templateList.length,
      SmsTemplateList: page(catalog.templateList, p).map((t, i) => ({
        TemplateCode: t.templateCode,
        TemplateName: t.templateName,
        TemplateContent: t.templateContent,
        TemplateType: t.templateType,
        OuterTemplateType: t.templateType,
        AuditStatus: AUDIT_STATUS[t.status],
        CreateDate: t.createDate ?? DEFAULT_CREATE_DATE,
        OrderId: `3000${(p.index - 1) * p.size + i + 1}`,
        SignatureName: t.signName ?? '',
        Reason: reasonOf(t.reason, t.createDate ?? DEFAULT_CREATE_DATE),
      })),
    },
  };
}

export function getSmsSign(params: Record<string, string>, catalog: Catalog): QueryResult {
  if (!params.SignName) return { ok: false, error: gatewayErrors.missingParameter('SignName') };
  const s = catalog.signs.get(params.SignName);
  if (!s) return { ok: false, error: businessError('SignatureNotFound', `该账号下找不到对应签名: ${params.SignName}`) };
  const created = s.createDate ?? DEFAULT_CREATE_DATE;
  return {
    ok: true,
    body: {
      SignName: s.signName,
      SignStatus: s.status,
      CreateDate: created,
      SignUsage: s.businessType ?? '通用类型',
      ApplyScene: '',
      Remark: '',
      OrderId: '',
      ThirdParty: false,
      AuditInfo: { AuditDate: s.status === 0 ? '' : created, RejectInfo: s.reason ?? '' },
      FileUrlList: [],
      SignIspRegisterDetailList: [],
    },
  };
}

export function getSmsTemplate(params: Record<string, string>, catalog: Catalog): QueryResult {
  if (!params.TemplateCode) return { ok: false, error: gatewayErrors.missingParameter('TemplateCode') };
  const t = catalog.templates.get(params.TemplateCode);
  if (!t) return { ok: false, error: businessError('TemplateNotFound', `该账号下找不到对应模板: ${params.TemplateCode}`) };
  const created = t.createDate ?? DEFAULT_CREATE_DATE;
  const variables: Record<string, string> = {};
  for (const v of t.compiled.variables) variables[v] = v === 'code' ? 'characterWithNumber' : 'others';
  return {
    ok: true,
    body: {
      TemplateCode: t.templateCode,
      TemplateName: t.templateName,
      TemplateContent: t.templateContent,
      // The SDK model declares both as strings.
      TemplateStatus: String(t.status),
      TemplateType: String(t.templateType),
      CreateDate: created,
      RelatedSignName: t.signName ?? '',
      ApplyScene: '',
      Remark: '',
      OrderId: '',
      VariableAttribute: JSON.stringify(variables),
      AuditInfo: { AuditDate: t.status === 0 ? '' : created, RejectInfo: t.reason ?? '' },
      FileUrlList: { FileUrl: [] },
    },
  };
}

export function querySmsQualificationRecord(params: Record<string, string>, catalog: Catalog): QueryResult {
  const p = paging(params, 'PageNo');
  if ('ok' in p) return p;
  let useBySelf: boolean | undefined;
  if (params.UseBySelf !== undefined && params.UseBySelf !== '') {
    if (params.UseBySelf !== 'true' && params.UseBySelf !== 'false') return invalid('UseBySelf must be true or false');
    useBySelf = params.UseBySelf === 'true';
  }
  const matches = catalog.qualifications.filter(
    (q) =>
      (!params.QualificationGroupName || q.qualificationGroupName.includes(params.QualificationGroupName)) &&
      (!params.CompanyName || q.companyName.includes(params.CompanyName)) &&
      (!params.LegalPersonName || q.legalPersonName.includes(params.LegalPersonName)) &&
      (!params.State || q.state === params.State) &&
      (!params.WorkOrderId || String(q.workOrderId) === params.WorkOrderId) &&
      (useBySelf === undefined || q.useBySelf === useBySelf),
  );
  return {
    ok: true,
    body: {
      Success: true,
      Data: {
        PageNo: p.index,
        PageSize: p.size,
        Total: matches.length,
        List: page(matches, p).map((q) => ({
          GroupId: q.groupId,
          QualificationGroupName: q.qualificationGroupName,
          CompanyName: q.companyName,
          LegalPersonName: q.legalPersonName,
          StateName: QUALIFICATION_STATE_NAMES[q.state],
          UseBySelf: String(q.useBySelf),
          WorkOrderId: q.workOrderId,
          CreateDate: q.createDate,
          AuditTime: q.auditTime ?? '',
          AuditRemark: q.auditRemark ?? '',
        })),
      },
    },
  };
}

export function querySingleSmsQualification(params: Record<string, string>, catalog: Catalog): QueryResult {
  if (!params.QualificationGroupId) return { ok: false, error: gatewayErrors.missingParameter('QualificationGroupId') };
  const q = catalog.qualifications.find((x) => String(x.groupId) === params.QualificationGroupId);
  if (!q) return invalid(`no qualification with QualificationGroupId ${params.QualificationGroupId}`);
  // OrderId, when given, is the review's work order: a group's record under another one is not found.
  if (params.OrderId !== undefined) {
    if (intParam(params.OrderId, 1, Number.MAX_SAFE_INTEGER) === undefined) return invalid('OrderId must be a positive integer');
    if (params.OrderId !== String(q.workOrderId)) return invalid(`no qualification with QualificationGroupId ${params.QualificationGroupId} and OrderId ${params.OrderId}`);
  }
  return {
    ok: true,
    body: {
      Success: true,
      Data: {
        QualificationGroupId: q.groupId,
        QualificationName: q.qualificationGroupName,
        CompanyName: q.companyName,
        CompanyType: q.companyType ?? 'COMPANY',
        OrganizationCode: q.organizationCode ?? '',
        LegalPersonName: q.legalPersonName,
        AdminName: q.adminName ?? '',
        AdminPhoneNo: q.adminPhoneNo ?? '',
        State: q.state,
        UseBySelf: q.useBySelf,
        WhetherShare: !q.useBySelf,
        WorkOrderId: q.workOrderId,
        Remark: q.auditRemark ?? '',
        BusinessLicensePics: [],
        OtherFiles: [],
      },
    },
  };
}
