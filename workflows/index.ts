export { connectionWorkflow } from './connectionWorkflow.js';
export { refreshAuditWorkflow } from './refreshAuditWorkflow.js';
export { webhookLaneWorkflow } from './webhookLaneWorkflow.js';
