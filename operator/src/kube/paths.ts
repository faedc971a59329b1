import type { KubernetesObject } from '@kubernetes/client-node';
import { API_VERSION, KIND, PLURAL } from '../api/constants.js';

/** Plural resource names of the kinds the operator touches. */
const RESOURCES: Record<string, string> = {
  ConfigMap: 'configmaps',
  ServiceAccount: 'serviceaccounts',
  Service: 'services',
  Pod: 'pods',
  Event: 'events',
  Deployment: 'deployments',
  Role: 'roles',
  RoleBinding: 'rolebindings',
  Lease: 'leases',
  [KIND]: PLURAL,
};

export class UnknownKindError extends Error {
  readonly code = 'unknown_kind';
}

/** `/api/v1` for the core group, `/apis/<group>/<version>` otherwise. */
const groupPrefix = (apiVersion: string): string => (apiVersion.includes('/') ? `/apis/${apiVersion}` : `/api/${apiVersion}`);

/** The collection path of a kind, in one namespace or (namespace '') across all. */
export function collectionPath(apiVersion: string, kind: string, namespace: string): string {
  const plural = RESOURCES[kind];
  if (!plural) throw new UnknownKindError(`no resource path known for kind ${kind}`);
  return `${groupPrefix(apiVersion)}${namespace ? `/namespaces/${encodeURIComponent(namespace)}` : ''}/${plural}`;
}

/** The path of one object (apiVersion, kind, namespace and name taken from it). */
export function objectPath(obj: KubernetesObject): string {
  return `${collectionPath(obj.apiVersion ?? '', obj.kind ?? '', obj.metadata?.namespace ?? '')}/${encodeURIComponent(obj.metadata?.name ?? '')}`;
}

export const routerCollection = (namespace: string): string => collectionPath(API_VERSION, KIND, namespace);
