/** The feature-definition metadata port (entities, feature views, services, materialisation progress). */
// biome-ignore lint/suspicious/noEmptyInterface: defined by the features module's work
export interface FeatureRegistryStore {}
