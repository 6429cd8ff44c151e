/**
 * The path templates API-call spans are named by: the namespace and the object's name
 * replaced, subresources and the query kept out of it (kube/tracing.ts `pathTemplate`).
 */
import { describe, expect, it } from 'vitest';
import { pathTemplate } from '../../src/kube/tracing.js';

describe('pathTemplate', () => {
  it.each([
    ['/api/v1/pods', '/api/v1/pods'],
    [
      '/api/v1/namespaces/team-a/pods?labelSelector=app%3Dsecret&limit=500',
      '/api/v1/namespaces/{namespace}/pods',
    ],
    ['/api/v1/namespaces/team-a/pods/web-1', '/api/v1/namespaces/{namespace}/pods/{name}'],
    ['/api/v1/namespaces/team-a/pods/web-1/eviction', '/api/v1/namespaces/{namespace}/pods/{name}/eviction'],
    ['/api/v1/namespaces/team-a', '/api/v1/namespaces/{name}'],
    ['/api/v1/namespaces', '/api/v1/namespaces'],
    ['/api/v1/nodes/node-7', '/api/v1/nodes/{name}'],
    ['/apis/batch/v1/namespaces/team-a/jobs/nightly', '/apis/batch/v1/namespaces/{namespace}/jobs/{name}'],
    [
      '/apis/authorization.k8s.io/v1/subjectaccessreviews',
      '/apis/authorization.k8s.io/v1/subjectaccessreviews',
    ],
    ['/version', '/version'],
    ['/healthz/etcd', '/healthz/{path}'],
    ['/', '/'],
  ])('%s → %s', (path, template) => {
    expect(pathTemplate(path)).toBe(template);
  });
});
