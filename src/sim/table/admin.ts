import type { JsonObject, JsonValue } from '../../json.ts';
import { AGE_COLUMN, ageOf, at, col, list, NAME_COLUMN, nameOf, objOf, str, strings, type Printer } from './cells.ts';

/**
 * Printers (pkg/printers/internalversion) of the cluster-administration kinds: quotas,
 * admission webhooks, CSI objects, certificate requests, API services.
 */

const text = (v: JsonValue | undefined): string => (v === undefined || v === null ? '' : typeof v === 'string' ? v : JSON.stringify(v));

/** printResourceQuota: "name: used/hard" per resource, limits.* in the Limit column, the rest in Request. */
function quotaCells(o: JsonObject): [string, string] {
  const hard = objOf(at(o, 'status.hard'));
  const used = objOf(at(o, 'status.used'));
  const requests: string[] = [];
  const limits: string[] = [];
  for (const name of Object.keys(hard).sort()) {
    const entry = `${name}: ${text(used[name]) || '0'}/${text(hard[name])}`;
    (name.startsWith('limits.') ? limits : requests).push(entry);
  }
  return [requests.join(', '), limits.join(', ')];
}

const resourceQuota: Printer = {
  columns: [
    NAME_COLUMN,
    AGE_COLUMN,
    col('Request', 'string', 'Request represents a minimum amount of cpu/memory that a container may consume.'),
    col('Limit', 'string', 'Limits control the maximum amount of cpu/memory that a container may use independent of contention on the node.'),
  ],
  row: (o, now) => ({ cells: [nameOf(o), ageOf(o, now), ...quotaCells(o)] }),
};

const webhookConfiguration: Printer = {
  columns: [NAME_COLUMN, col('Webhooks', 'integer', 'Webhooks indicates the number of webhooks.'), AGE_COLUMN],
  row: (o, now) => ({ cells: [nameOf(o), list(o.webhooks).length, ageOf(o, now)] }),
};

const csiDriver: Printer = {
  columns: [
    NAME_COLUMN,
    col('AttachRequired', 'boolean', 'Indicates this CSI volume driver requires an attach operation (because it implements the CSI ControllerPublishVolume() method), and that the Kubernetes attach detach controller should call the attach volume interface which checks the volumeattachment status and waits until the volume is attached before proceeding to mounting.'),
    col('PodInfoOnMount', 'boolean', 'Indicates this CSI volume driver requires additional pod information (like podName, podUID, etc.) during mount operations.'),
    col('StorageCapacity', 'boolean', 'Indicates this CSI volume driver supports storage capacity tracking.'),
    col('TokenRequests', 'string', 'Indicates the CSI volume driver supports token requests.'),
    col('RequiresRepublish', 'boolean', 'Indicates the CSI volume driver requires republishing.'),
    col('Modes', 'string', 'Defines the supported volume lifecycle modes of the CSI driver.'),
    AGE_COLUMN,
  ],
  row: (o, now) => {
    const audiences = list(at(o, 'spec.tokenRequests')).map((t) => str(t.audience) || '<api-server-audience>');
    return {
      cells: [
        nameOf(o),
        at(o, 'spec.attachRequired') === true,
        at(o, 'spec.podInfoOnMount') === true,
        at(o, 'spec.storageCapacity') === true,
        audiences.length > 0 ? audiences.join(',') : '<unset>',
        at(o, 'spec.requiresRepublish') === true,
        strings(at(o, 'spec.volumeLifecycleModes')).join(',') || '<none>',
        ageOf(o, now),
      ],
    };
  },
};

const csiNode: Printer = {
  columns: [NAME_COLUMN, col('Drivers', 'integer', 'Drivers indicates the number of CSI drivers registered on the node'), AGE_COLUMN],
  row: (o, now) => ({ cells: [nameOf(o), list(at(o, 'spec.drivers')).length, ageOf(o, now)] }),
};

/** "Approved,Issued", "Denied", "Pending", as printCertificateSigningRequest. */
function csrCondition(o: JsonObject): string {
  const conditions = list(at(o, 'status.conditions')).filter((c) => c.status !== 'False').map((c) => str(c.type));
  const approval = conditions.includes('Denied') ? ['Denied'] : conditions.includes('Approved') ? ['Approved'] : conditions.includes('Failed') ? ['Failed'] : ['Pending'];
  if (typeof at(o, 'status.certificate') === 'string' && at(o, 'status.certificate') !== '') approval.push('Issued');
  return approval.join(',');
}

const certificateSigningRequest: Printer = {
  columns: [
    NAME_COLUMN,
    AGE_COLUMN,
    col('SignerName', 'string', 'Only show CSRs with the signer name.'),
    col('Requestor', 'string', 'Name of the user requesting the certificate.'),
    col('RequestedDuration', 'string', 'Requested duration of the certificate.'),
    col('Condition', 'string', 'Current condition of the certificate signing request.'),
  ],
  row: (o, now) => {
    const seconds = at(o, 'spec.expirationSeconds');
    return {
      cells: [nameOf(o), ageOf(o, now), str(at(o, 'spec.signerName')), str(at(o, 'spec.username')), typeof seconds === 'number' ? `${Math.round(seconds / 60)}m` : '<none>', csrCondition(o)],
    };
  },
};

const apiService: Printer = {
  columns: [
    NAME_COLUMN,
    col('Service', 'string', 'The reference to the service that hosts this API endpoint.'),
    col('Available', 'string', 'Whether this service is available.'),
    AGE_COLUMN,
  ],
  row: (o, now) => {
    const service = objOf(at(o, 'spec.service'));
    const available = list(at(o, 'status.conditions')).find((c) => c.type === 'Available');
    const availability = available === undefined ? 'Unknown' : available.status === 'True' ? 'True' : `${str(available.status)} (${str(available.reason)})`;
    return { cells: [nameOf(o), str(service.name) ? `${str(service.namespace)}/${str(service.name)}` : 'Local', availability, ageOf(o, now)] };
  },
};

export const PRINTERS: Record<string, Printer> = {
  ResourceQuota: resourceQuota,
  MutatingWebhookConfiguration: webhookConfiguration,
  ValidatingWebhookConfiguration: webhookConfiguration,
  CSIDriver: csiDriver,
  CSINode: csiNode,
  CertificateSigningRequest: certificateSigningRequest,
  APIService: apiService,
};
