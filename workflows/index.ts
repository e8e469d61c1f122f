export { connectionWorkflow } from './connectionWorkflow.js';
export { refreshAuditWorkflow } from './refreshAuditWorkflow.js';
