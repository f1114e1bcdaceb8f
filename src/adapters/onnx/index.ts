/**
 * `mlcycle/onnx`: the ONNX model flavor through onnxruntime-node (an optional peer dependency).
 *
 * @packageDocumentation
 */
export {};
