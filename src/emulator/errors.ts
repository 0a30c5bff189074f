/**
 * The answers the emulator gives when a call is refused: Alibaba's code, the HTTP status the real
 * gateway uses for it, and a message in Alibaba's wording. Business refusals are HTTP 200 with
 * `Code != "OK"`; gateway refusals (authentication, throttling, unknown action) are 4xx and make the
 * SDK throw.
 */

export interface ApiError {
  code: string;
  httpStatus: number;
  message: string;
}

/** A business refusal: HTTP 200, the SDK returns it as a normal response. */
export const businessError = (code: string, message: string): ApiError => ({ code, httpStatus: 200, message });

export const gatewayErrors = {
  incompleteSignature: (why: string): ApiError => ({
    code: 'IncompleteSignature',
    httpStatus: 400,
    message: `The request signature does not conform to Aliyun standards. ${why}`,
  }),
  accessKeyNotFound: (): ApiError => ({
    code: 'InvalidAccessKeyId.NotFound',
    httpStatus: 404,
    message: 'Specified access key is not found.',
  }),
  signatureMismatch: (why: string): ApiError => ({
    code: 'SignatureDoesNotMatch',
    httpStatus: 400,
    message: `Specified signature does not match our calculation. ${why}`,
  }),
  actionNotFound: (action: string): ApiError => ({
    code: 'InvalidAction.NotFound',
    httpStatus: 404,
    message: `Specified api is not found, please check your url and method. Action: ${action || '(none)'}`,
  }),
  invalidVersion: (version: string): ApiError => ({
    code: 'InvalidVersion',
    httpStatus: 400,
    message: `Specified parameter Version is not valid: ${version || '(none)'}`,
  }),
  missingParameter: (name: string): ApiError => ({
    code: `Missing${name}`,
    httpStatus: 400,
    message: `${name} is mandatory for this action.`,
  }),
  throttlingUser: (): ApiError => ({
    code: 'Throttling.User',
    httpStatus: 400,
    message: 'Request was denied due to user flow control.',
  }),
  systemError: (): ApiError => ({
    code: 'isp.SYSTEM_ERROR',
    httpStatus: 500,
    message: 'The request processing has failed due to some unknown error.',
  }),
  serviceUnavailable: (): ApiError => ({
    code: 'ServiceUnavailable',
    httpStatus: 503,
    message: 'The request has failed due to a temporary failure of the server.',
  }),
  notFound: (): ApiError => ({ code: 'NotFound', httpStatus: 404, message: 'Only POST / (or GET /) is served.' }),
  bodyTooLarge: (): ApiError => ({ code: 'InvalidParameter', httpStatus: 413, message: 'Request body too large.' }),
} as const;
