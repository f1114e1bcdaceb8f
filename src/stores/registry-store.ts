/** The model-registry metadata port (models, versions, aliases, audit, approvals, evaluations). */
// biome-ignore lint/suspicious/noEmptyInterface: defined by the registry module's work
export interface RegistryStore {}
