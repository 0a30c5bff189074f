import fastify from 'fastify';
import { describe, expect, it } from 'vitest';
import { createRouteMethods, patternOf } from '../../server/route-methods.js';

describe('patternOf', () => {
  it('matches a parameter as one segment, * as the rest, and nothing past the pattern', () => {
    expect(patternOf('/v1/sends/:id/pause').test('/v1/sends/smx1/pause')).toBe(true);
    expect(patternOf('/v1/sends/:id/pause').test('/v1/sends/a/b/pause')).toBe(false);
    expect(patternOf('/v1/sends/:id').test('/v1/sends/smx1/')).toBe(false);
    expect(patternOf('/admin/queues/*').test('/admin/queues/static/js/x.js')).toBe(true);
    expect(patternOf('/v1.0/x').test('/v1a0/x')).toBe(false);
  });
});

describe('the not-found handler', () => {
  async function server() {
    const routes = createRouteMethods({ login: { under: ['/admin'], authorized: (request) => request.headers.authorization === 'Bearer ops' } });
    const app = fastify();
    app.addHook('onRoute', routes.onRoute);
    app.setNotFoundHandler(routes.notFound);
    app.post('/v1/messages', async () => ({}));
    app.get('/v1/sends/:id', async () => ({}));
    app.get('/admin/page', async () => ({}));
    await app.ready();
    return app;
  }

  it('answers 405 with Allow for a path under another method, decoded as fastify routes it', async () => {
    const app = await server();
    const wrong = await app.inject({ method: 'GET', url: '/v1/messages?x=1' });
    expect(wrong.statusCode).toBe(405);
    expect(wrong.headers.allow).toBe('POST');
    expect(wrong.json()).toEqual({ error: { code: 'SMSQ_METHOD_NOT_ALLOWED', message: '/v1/messages does not take GET. Fix: use POST' } });
    expect((await app.inject({ method: 'GET', url: '/v1/%6Dessages' })).statusCode).toBe(405);
    // GET's twin is named in Allow, not offered as the fix.
    const del = await app.inject({ method: 'DELETE', url: '/v1/sends/smx1' });
    expect(del.headers.allow).toBe('GET, HEAD');
    expect(del.json().error.message).toBe('/v1/sends/smx1 does not take DELETE. Fix: use GET');
  });

  it('answers 404 where no route has the path, and behind a login', async () => {
    const app = await server();
    expect((await app.inject({ method: 'GET', url: '/v1/nothing' })).statusCode).toBe(404);
    expect((await app.inject({ method: 'DELETE', url: '/admin/page' })).statusCode).toBe(404);
    expect((await app.inject({ method: 'DELETE', url: '/admin/page', headers: { authorization: 'Bearer wrong' } })).statusCode).toBe(404);
  });

  it('answers 405 with Allow behind a login to a request that carries it', async () => {
    const app = await server();
    const del = await app.inject({ method: 'DELETE', url: '/admin/page', headers: { authorization: 'Bearer ops' } });
    expect(del.statusCode).toBe(405);
    expect(del.headers.allow).toBe('GET, HEAD');
  });
});
