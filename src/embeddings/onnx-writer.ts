/**
 * A minimal, deterministic encoder for the subset of the ONNX protobuf schema (onnx.proto, IR version 8)
 * that the converter needs: a model with one graph of nodes, tensor initializers and typed inputs/outputs.
 * Hand-encoded so the converter has no dependency beyond Node; field numbers are from onnx.proto.
 */

/** ONNX TensorProto.DataType values used here. */
export const TensorType = { float: 1, uint8: 2, int8: 3, int32: 6, int64: 7, float16: 10 } as const;
export type TensorTypeValue = (typeof TensorType)[keyof typeof TensorType];

/** A protobuf message under construction: a list of byte parts, so large tensors are never copied twice. */
class ProtoMessage {
  readonly parts: Uint8Array[] = [];
  length = 0;

  private push(bytes: Uint8Array): void {
    this.parts.push(bytes);
    this.length += bytes.length;
  }

  private varint(value: bigint): void {
    // Negative int64 values are encoded as their 64-bit two's complement (10 bytes), as protobuf requires.
    let remaining = BigInt.asUintN(64, value);
    const bytes: number[] = [];
    do {
      let byte = Number(remaining & 0x7fn);
      remaining >>= 7n;
      if (remaining > 0n) byte |= 0x80;
      bytes.push(byte);
    } while (remaining > 0n);
    this.push(Uint8Array.from(bytes));
  }

  private tag(field: number, wireType: number): void {
    this.varint(BigInt((field << 3) | wireType));
  }

  integer(field: number, value: number | bigint): this {
    this.tag(field, 0);
    this.varint(BigInt(value));
    return this;
  }

  float(field: number, value: number): this {
    this.tag(field, 5);
    const bytes = new Uint8Array(4);
    new DataView(bytes.buffer).setFloat32(0, value, true);
    this.push(bytes);
    return this;
  }

  bytes(field: number, value: Uint8Array): this {
    this.tag(field, 2);
    this.varint(BigInt(value.length));
    this.push(value);
    return this;
  }

  string(field: number, value: string): this {
    return this.bytes(field, new TextEncoder().encode(value));
  }

  message(field: number, inner: ProtoMessage): this {
    this.tag(field, 2);
    this.varint(BigInt(inner.length));
    for (const part of inner.parts) this.push(part);
    return this;
  }
}

export interface TensorData {
  name: string;
  type: TensorTypeValue;
  dims: readonly number[];
  /** Little-endian raw bytes, as ONNX `raw_data` expects. */
  raw: Uint8Array;
}

export type AttributeValue = number | readonly number[] | { float: number } | TensorData;

export interface NodeSpec {
  op: string;
  inputs: readonly string[];
  outputs: readonly string[];
  name: string;
  attributes?: Record<string, AttributeValue>;
}

export interface ValueSpec {
  name: string;
  type: TensorTypeValue;
  /** A number is a fixed dimension; a string is a symbolic one (e.g. "batch_size"). */
  shape: ReadonlyArray<number | string>;
}

export interface GraphSpec {
  name: string;
  nodes: readonly NodeSpec[];
  initializers: readonly TensorData[];
  inputs: readonly ValueSpec[];
  outputs: readonly ValueSpec[];
}

function encodeTensor(tensor: TensorData): ProtoMessage {
  const message = new ProtoMessage();
  for (const dim of tensor.dims) message.integer(1, dim);
  message.integer(2, tensor.type);
  message.string(8, tensor.name);
  message.bytes(9, tensor.raw);
  return message;
}

function encodeAttribute(name: string, value: AttributeValue): ProtoMessage {
  const message = new ProtoMessage().string(1, name);
  // AttributeProto.AttributeType: FLOAT=1, INT=2, TENSOR=4, INTS=7.
  if (typeof value === 'number') return message.integer(3, value).integer(20, 2);
  if (Array.isArray(value)) {
    for (const item of value as readonly number[]) message.integer(8, item);
    return message.integer(20, 7);
  }
  if ('float' in value) return message.float(2, value.float).integer(20, 1);
  return message.message(5, encodeTensor(value as TensorData)).integer(20, 4);
}

function encodeNode(node: NodeSpec): ProtoMessage {
  const message = new ProtoMessage();
  for (const input of node.inputs) message.string(1, input);
  for (const output of node.outputs) message.string(2, output);
  message.string(3, node.name).string(4, node.op);
  // Sorted so the bytes never depend on object key order.
  for (const key of Object.keys(node.attributes ?? {}).sort()) {
    const value = node.attributes?.[key];
    if (value !== undefined) message.message(5, encodeAttribute(key, value));
  }
  return message;
}

function encodeValueInfo(value: ValueSpec): ProtoMessage {
  const shape = new ProtoMessage();
  for (const dim of value.shape) {
    const dimension = new ProtoMessage();
    if (typeof dim === 'number') dimension.integer(1, dim);
    else dimension.string(2, dim);
    shape.message(1, dimension);
  }
  const tensorType = new ProtoMessage().integer(1, value.type).message(2, shape);
  const type = new ProtoMessage().message(1, tensorType);
  return new ProtoMessage().string(1, value.name).message(2, type);
}

/** Encodes a complete ONNX model (IR 8, default domain at `opset`) into protobuf bytes. */
export function encodeModel(graph: GraphSpec, options: { opset: number; producer: string; producerVersion: string }): Uint8Array[] {
  const graphMessage = new ProtoMessage();
  for (const node of graph.nodes) graphMessage.message(1, encodeNode(node));
  graphMessage.string(2, graph.name);
  for (const tensor of graph.initializers) graphMessage.message(5, encodeTensor(tensor));
  for (const input of graph.inputs) graphMessage.message(11, encodeValueInfo(input));
  for (const output of graph.outputs) graphMessage.message(12, encodeValueInfo(output));

  const model = new ProtoMessage()
    .integer(1, 8)
    .string(2, options.producer)
    .string(3, options.producerVersion)
    .message(7, graphMessage)
    .message(8, new ProtoMessage().string(1, '').integer(2, options.opset));
  return model.parts;
}
