/**
 * Min/max downsampling of metric series: the rule lives beside the tracking port (stores that
 * downsample in their database follow it exactly); re-exported here as part of tracking's surface.
 */
export { downsampleMinMax, type MetricObservation } from "../stores/metric-downsample.js";
