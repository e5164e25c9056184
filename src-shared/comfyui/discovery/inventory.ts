import type { ModelKind } from '#shared/db/entities/model.ts';
import { AppError, ErrorCode } from '#shared/errors.ts';
import type { ComfyClient } from '../client.ts';
import { comboValues, type ObjectInfo } from '../object-info.ts';
import { looksLikeModelFile } from './file-safety.ts';
import { kindSources } from './sources.ts';

/** The calls discovery needs from an instance (`viewMetadata` for base families, when the client has it). */
export type InventoryClient = Pick<ComfyClient, 'objectInfo' | 'models'> & Partial<Pick<ComfyClient, 'viewMetadata'>>;

export type Inventory = Record<ModelKind, string[]>;

/**
 * The files an instance can load, per kind: its loaders' combos (`/object_info`) together with
 * its model folders (`/models/{folder}`). A folder the instance does not have counts as empty;
 * any other failure rejects, so a half-answered instance is never taken as "has nothing".
 */
export async function fetchInventory(client: InventoryClient, signal?: AbortSignal): Promise<Inventory> {
  return (await fetchInstanceInventory(client, signal)).files;
}

/** The files per kind, and every node class the instance's object_info offers (custom nodes included). */
export async function fetchInstanceInventory(client: InventoryClient, signal?: AbortSignal): Promise<{ files: Inventory; nodeClasses: string[] }> {
  const [objectInfo, folders] = await Promise.all([
    client.objectInfo(signal),
    Promise.all(Object.values(kindSources).map((source) => folderFiles(client, source.folder, signal))),
  ]);
  const inventory = {} as Inventory;
  (Object.entries(kindSources) as [ModelKind, (typeof kindSources)[ModelKind]][]).forEach(([kind, source], i) => {
    const fromLoader = 'loader' in source ? loaderFiles(objectInfo, source.loader.node, source.loader.input) : [];
    inventory[kind] = [...new Set([...fromLoader, ...folders[i]!])].filter(looksLikeModelFile).sort();
  });
  return { files: inventory, nodeClasses: Object.keys(objectInfo).sort() };
}

function loaderFiles(objectInfo: ObjectInfo, node: string, input: string): string[] {
  const spec = objectInfo[node]?.input?.required?.[input] ?? objectInfo[node]?.input?.optional?.[input];
  const values = spec ? comboValues(spec) : undefined;
  return (values ?? []).filter((v): v is string => typeof v === 'string');
}

async function folderFiles(client: InventoryClient, folder: string, signal?: AbortSignal): Promise<string[]> {
  try {
    const files = await client.models(folder, signal);
    return Array.isArray(files) ? files.filter((f): f is string => typeof f === 'string') : [];
  } catch (err) {
    if (err instanceof AppError && err.code === ErrorCode.NotFound) return [];
    throw err;
  }
}
