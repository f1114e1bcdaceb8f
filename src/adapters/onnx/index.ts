/**
 * `mlcycle/onnx`: the ONNX model flavor through onnxruntime-node (an optional peer dependency,
 * imported on first use or passed as `ort`).
 *
 * @example
 * ```ts
 * import { onnxFlavor } from "mlcycle/onnx";
 * ws.registry.registerFlavor(onnxFlavor());
 * ```
 *
 * @packageDocumentation
 */
export * from "./onnx-flavor.js";
