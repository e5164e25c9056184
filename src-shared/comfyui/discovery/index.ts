export { discoverModels, type DiscoverOptions } from './discover.ts';
export { fetchInventory, type Inventory, type InventoryClient } from './inventory.ts';
export { planDiscovery, type DiscoveryPlan, type ExistingModel, type InstanceInventory, type PlanInput } from './plan.ts';
export { formatSummary, summarize, type DiscoverySummary } from './summary.ts';
export { isUnsafeModelFile } from './file-safety.ts';
