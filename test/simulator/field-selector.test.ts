import { describe, expect, it } from 'vitest';
import {
  FieldSelectorError,
  fieldValue,
  matchesFields,
  parseFieldSelector,
} from '../../src/simulator/field-selector.js';
import type { KubeObject, ResourceName } from '../../src/simulator/types.js';

const runningPod: KubeObject = {
  apiVersion: 'v1',
  kind: 'Pod',
  metadata: { name: 'web-7d9f-abc12', namespace: 'shop', uid: 'p-1', resourceVersion: '41' },
  spec: {
    nodeName: 'node-a',
    restartPolicy: 'Always',
    schedulerName: 'default-scheduler',
    serviceAccountName: 'web',
    containers: [{ name: 'web', image: 'nginx:1.27' }],
  },
  status: {
    phase: 'Running',
    podIP: '10.244.1.7',
    podIPs: [{ ip: '10.244.1.7' }, { ip: 'fd00::7' }],
  },
};

const pendingPod: KubeObject = {
  apiVersion: 'v1',
  kind: 'Pod',
  metadata: { name: 'batch-x', namespace: 'jobs' },
  spec: { hostNetwork: true, containers: [{ name: 'work', image: 'busybox' }] },
  status: { phase: 'Pending', nominatedNodeName: 'node-b' },
};

const node: KubeObject = {
  apiVersion: 'v1',
  kind: 'Node',
  metadata: { name: 'node-a' },
  spec: {},
  status: {},
};

const event: KubeObject = {
  apiVersion: 'v1',
  kind: 'Event',
  metadata: { name: 'web-7d9f-abc12.17f1', namespace: 'shop' },
  involvedObject: {
    kind: 'Pod',
    namespace: 'shop',
    name: 'web-7d9f-abc12',
    uid: 'p-1',
    apiVersion: 'v1',
    resourceVersion: '41',
    fieldPath: 'spec.containers{web}',
  },
  reason: 'BackOff',
  message: 'Back-off restarting failed container',
  source: { component: 'kubelet', host: 'node-a' },
  type: 'Warning',
  count: 4,
};

const job: KubeObject = {
  apiVersion: 'batch/v1',
  kind: 'Job',
  metadata: { name: 'report', namespace: 'jobs' },
  spec: { completions: 3 },
  status: { succeeded: 2, active: 1 },
};

describe('parseFieldSelector', () => {
  it('parses =, == and != terms', () => {
    expect(
      parseFieldSelector('spec.nodeName=node-a,status.phase!=Failed,metadata.name==web', 'pods'),
    ).toEqual([
      { field: 'spec.nodeName', operator: '=', value: 'node-a' },
      { field: 'status.phase', operator: '!=', value: 'Failed' },
      { field: 'metadata.name', operator: '=', value: 'web' },
    ]);
  });

  it('selects everything when empty, and skips empty terms as k8s does', () => {
    expect(parseFieldSelector('', 'pods')).toEqual([]);
    expect(parseFieldSelector('metadata.name=a,', 'pods')).toEqual([
      { field: 'metadata.name', operator: '=', value: 'a' },
    ]);
  });

  it('accepts empty values', () => {
    expect(parseFieldSelector('spec.nodeName=', 'pods')).toEqual([
      { field: 'spec.nodeName', operator: '=', value: '' },
    ]);
    expect(parseFieldSelector('spec.nodeName!=', 'pods')).toEqual([
      { field: 'spec.nodeName', operator: '!=', value: '' },
    ]);
  });

  it('unescapes \\, \\= and \\\\ in values', () => {
    expect(parseFieldSelector('metadata.name=a\\,b\\=c\\\\d', 'pods')).toEqual([
      { field: 'metadata.name', operator: '=', value: 'a,b=c\\d' },
    ]);
    expect(parseFieldSelector('metadata.name=x\\,y,metadata.namespace=z', 'pods')).toHaveLength(2);
  });

  it('maps the legacy spec.host to spec.nodeName for pods', () => {
    expect(parseFieldSelector('spec.host=node-a', 'pods')).toEqual([
      { field: 'spec.nodeName', operator: '=', value: 'node-a' },
    ]);
  });

  it.each([
    ['pods', 'spec.nodeName'],
    ['pods', 'spec.restartPolicy'],
    ['pods', 'spec.schedulerName'],
    ['pods', 'spec.serviceAccountName'],
    ['pods', 'spec.hostNetwork'],
    ['pods', 'status.phase'],
    ['pods', 'status.podIP'],
    ['pods', 'status.nominatedNodeName'],
    ['nodes', 'spec.unschedulable'],
    ['nodes', 'metadata.name'],
    ['nodes', 'metadata.namespace'],
    ['namespaces', 'status.phase'],
    ['events', 'involvedObject.kind'],
    ['events', 'involvedObject.namespace'],
    ['events', 'involvedObject.name'],
    ['events', 'involvedObject.uid'],
    ['events', 'involvedObject.apiVersion'],
    ['events', 'involvedObject.resourceVersion'],
    ['events', 'involvedObject.fieldPath'],
    ['events', 'reason'],
    ['events', 'reportingComponent'],
    ['events', 'source'],
    ['events', 'type'],
    ['jobs', 'status.successful'],
    ['jobs', 'metadata.namespace'],
  ] satisfies [ResourceName, string][])('supports %s field %s', (resource, field) => {
    expect(parseFieldSelector(`${field}=x`, resource)).toEqual([{ field, operator: '=', value: 'x' }]);
  });

  it.each([
    ['pods', 'spec.foo'],
    ['pods', 'spec.unschedulable'],
    ['nodes', 'spec.nodeName'],
    ['nodes', 'status.phase'],
    ['jobs', 'status.succeeded'],
    ['events', 'message'],
    ['namespaces', 'spec.finalizers'],
    ['nodes', 'spec.host'],
  ] satisfies [ResourceName, string][])('refuses %s field %s like the real server', (resource, field) => {
    expect(() => parseFieldSelector(`${field}=x`, resource)).toThrow(
      new FieldSelectorError(`field label not supported: ${field}`),
    );
  });

  it('does not trim, as the real server does not', () => {
    expect(() => parseFieldSelector('spec.nodeName =a', 'pods')).toThrow(
      'field label not supported: spec.nodeName ',
    );
    expect(parseFieldSelector('spec.nodeName= a', 'pods')[0].value).toBe(' a');
  });

  it('reports terms it cannot split with the whole selector', () => {
    expect(() => parseFieldSelector('metadata.name=a,spec.nodeName', 'pods')).toThrow(
      "invalid selector: 'metadata.name=a,spec.nodeName'; can't understand 'spec.nodeName'",
    );
    expect(() => parseFieldSelector('   ', 'pods')).toThrow(
      "invalid selector: '   '; can't understand '   '",
    );
  });

  it('checks syntax of every term before field labels', () => {
    expect(() => parseFieldSelector('spec.foo=a,broken', 'pods')).toThrow("can't understand 'broken'");
  });

  it('rejects bad escapes and unescaped separators in values', () => {
    expect(() => parseFieldSelector('metadata.name=a\\x', 'pods')).toThrow(
      'invalid field selector: invalid escape sequence: \\x',
    );
    expect(() => parseFieldSelector('metadata.name=a\\', 'pods')).toThrow('invalid escape sequence: \\');
    expect(() => parseFieldSelector('metadata.name=a=b', 'pods')).toThrow(
      "invalid field selector: unescaped character in value: '='",
    );
    expect(() => parseFieldSelector('metadata.name!==b', 'pods')).toThrow('unescaped character');
  });

  it('throws FieldSelectorError, an Error', () => {
    try {
      parseFieldSelector('nope', 'pods');
      expect.unreachable();
    } catch (err) {
      expect(err).toBeInstanceOf(FieldSelectorError);
      expect(err).toBeInstanceOf(Error);
      expect((err as Error).name).toBe('FieldSelectorError');
    }
  });
});

describe('fieldValue', () => {
  it('reads metadata', () => {
    expect(fieldValue(runningPod, 'metadata.name')).toBe('web-7d9f-abc12');
    expect(fieldValue(runningPod, 'metadata.namespace')).toBe('shop');
    expect(fieldValue(node, 'metadata.namespace')).toBe('');
  });

  it('reads pod fields, missing strings as ""', () => {
    expect(fieldValue(runningPod, 'spec.nodeName')).toBe('node-a');
    expect(fieldValue(pendingPod, 'spec.nodeName')).toBe('');
    expect(fieldValue(runningPod, 'spec.restartPolicy')).toBe('Always');
    expect(fieldValue(runningPod, 'spec.schedulerName')).toBe('default-scheduler');
    expect(fieldValue(runningPod, 'spec.serviceAccountName')).toBe('web');
    expect(fieldValue(runningPod, 'status.phase')).toBe('Running');
    expect(fieldValue(pendingPod, 'status.nominatedNodeName')).toBe('node-b');
    expect(fieldValue(runningPod, 'status.nominatedNodeName')).toBe('');
    expect(fieldValue(runningPod, 'spec.host')).toBe('node-a');
  });

  it('reads the first pod IP, from podIPs or podIP', () => {
    expect(fieldValue(runningPod, 'status.podIP')).toBe('10.244.1.7');
    expect(fieldValue({ ...runningPod, status: { podIP: '10.0.0.9' } }, 'status.podIP')).toBe('10.0.0.9');
    expect(fieldValue(pendingPod, 'status.podIP')).toBe('');
  });

  it('renders booleans, absent ones as "false" (Go zero value)', () => {
    expect(fieldValue(pendingPod, 'spec.hostNetwork')).toBe('true');
    expect(fieldValue(runningPod, 'spec.hostNetwork')).toBe('false');
    expect(fieldValue(node, 'spec.unschedulable')).toBe('false');
    expect(fieldValue({ ...node, spec: { unschedulable: true } }, 'spec.unschedulable')).toBe('true');
    expect(fieldValue({ ...node, spec: undefined }, 'spec.unschedulable')).toBe('false');
  });

  it('reads status.successful from status.succeeded, absent as "0"', () => {
    expect(fieldValue(job, 'status.successful')).toBe('2');
    expect(fieldValue({ ...job, status: {} }, 'status.successful')).toBe('0');
  });

  it('reads event fields', () => {
    expect(fieldValue(event, 'involvedObject.kind')).toBe('Pod');
    expect(fieldValue(event, 'involvedObject.name')).toBe('web-7d9f-abc12');
    expect(fieldValue(event, 'involvedObject.namespace')).toBe('shop');
    expect(fieldValue(event, 'involvedObject.uid')).toBe('p-1');
    expect(fieldValue(event, 'involvedObject.apiVersion')).toBe('v1');
    expect(fieldValue(event, 'involvedObject.resourceVersion')).toBe('41');
    expect(fieldValue(event, 'involvedObject.fieldPath')).toBe('spec.containers{web}');
    expect(fieldValue(event, 'reason')).toBe('BackOff');
    expect(fieldValue(event, 'type')).toBe('Warning');
    expect(fieldValue(event, 'source')).toBe('kubelet');
    expect(fieldValue(event, 'reportingComponent')).toBe('');
  });

  it('falls back to reportingComponent for the source of new-style events', () => {
    const newStyle: KubeObject = { ...event, source: {}, reportingComponent: 'job-controller' };
    expect(fieldValue(newStyle, 'source')).toBe('job-controller');
    expect(fieldValue(newStyle, 'reportingComponent')).toBe('job-controller');
    expect(fieldValue({ ...event, source: undefined }, 'source')).toBe('');
  });

  it('renders numbers as decimal strings and objects as ""', () => {
    expect(fieldValue(event, 'count')).toBe('4');
    expect(fieldValue(event, 'involvedObject')).toBe('');
    expect(fieldValue(event, 'involvedObject.kind.deeper')).toBe('');
  });
});

describe('matchesFields', () => {
  const matches = (selector: string, resource: ResourceName, obj: KubeObject) =>
    matchesFields(parseFieldSelector(selector, resource), obj);

  it('matches everything with no requirements', () => {
    expect(matches('', 'pods', runningPod)).toBe(true);
  });

  it('selects pods by node, and unscheduled pods with spec.nodeName=', () => {
    expect(matches('spec.nodeName=node-a', 'pods', runningPod)).toBe(true);
    expect(matches('spec.nodeName=node-a', 'pods', pendingPod)).toBe(false);
    expect(matches('spec.nodeName=', 'pods', pendingPod)).toBe(true);
    expect(matches('spec.nodeName=', 'pods', runningPod)).toBe(false);
    expect(matches('spec.nodeName!=', 'pods', runningPod)).toBe(true);
  });

  it('selects by phase with != as kubectl --field-selector status.phase!=Running does', () => {
    expect(matches('status.phase!=Running', 'pods', runningPod)).toBe(false);
    expect(matches('status.phase!=Running', 'pods', pendingPod)).toBe(true);
  });

  it('selects schedulable nodes, including those without spec.unschedulable', () => {
    expect(matches('spec.unschedulable=false', 'nodes', node)).toBe(true);
    expect(matches('spec.unschedulable=true', 'nodes', node)).toBe(false);
  });

  it('answers kubectl describe pod, which lists events by name, namespace and uid', () => {
    const selector =
      'involvedObject.name=web-7d9f-abc12,involvedObject.namespace=shop,involvedObject.uid=p-1';
    expect(matches(selector, 'events', event)).toBe(true);
    expect(matches(selector.replace('p-1', 'p-2'), 'events', event)).toBe(false);
  });

  it('answers kubectl delete-wait, which watches metadata.name=<name>', () => {
    expect(matches('metadata.name=report', 'jobs', job)).toBe(true);
    expect(matches('metadata.name=other', 'jobs', job)).toBe(false);
  });

  it('compares job success counts as strings', () => {
    expect(matches('status.successful=2', 'jobs', job)).toBe(true);
    expect(matches('status.successful=0', 'jobs', { ...job, status: {} })).toBe(true);
  });

  it('compares escaped values after unescaping', () => {
    const odd: KubeObject = { ...runningPod, metadata: { name: 'a,b' } };
    expect(matches('metadata.name=a\\,b', 'pods', odd)).toBe(true);
  });
});
