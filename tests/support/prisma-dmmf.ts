import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';

/**
 * The full DMMF (with nullability and native types) of a Prisma schema, computed offline.
 *
 * Why not from the generated client: Prisma 7's `prisma-client` generator keeps only a pruned
 * `runtimeDataModel` (names, db names, kinds, types, but no `isRequired`) and no `Prisma.dmmf`.
 * The DMMF comes from Prisma's own schema WebAssembly module, shipped in the `prisma` package
 * (no native engine, no download). The bindgen glue is small enough to inline; its imports are
 * matched by prefix because their hash suffixes change between Prisma releases.
 */
export interface DmmfField {
  name: string;
  dbName: string | null;
  kind: 'scalar' | 'enum' | 'object' | 'unsupported';
  type: string;
  isRequired: boolean;
  isList: boolean;
  nativeType: [string, string[]] | null;
}
export interface DmmfModel {
  name: string;
  dbName: string | null;
  fields: DmmfField[];
}
export interface Dmmf {
  datamodel: {
    models: DmmfModel[];
    enums: { name: string; dbName: string | null }[];
  };
}

// The project's lib settings (ES2023, no DOM) carry no WebAssembly types: the few used here.
interface Wasm {
  Module: { new (bytes: Uint8Array): object; imports(module: object): { module: string; name: string }[] };
  Instance: new (module: object, imports: object) => { exports: unknown };
}
const { Module, Instance } = (globalThis as unknown as { WebAssembly: Wasm }).WebAssembly;

interface SchemaWasm {
  memory: { buffer: ArrayBuffer };
  __wbindgen_externrefs: { grow(n: number): number; set(i: number, v: unknown): void; get(i: number): unknown };
  __wbindgen_start(): void;
  __wbindgen_malloc(len: number, align: number): number;
  __wbindgen_free(ptr: number, len: number, align: number): void;
  get_dmmf(ptr: number, len: number): [number, number, number, number];
}

let wasm: SchemaWasm | undefined;

function load(): SchemaWasm {
  if (wasm) return wasm;
  const require = createRequire(import.meta.url);
  const file = join(dirname(require.resolve('prisma/package.json')), 'build', 'prisma_schema_build_bg.wasm');
  const module = new Module(readFileSync(file));
  const text = (ptr: number, len: number) =>
    new TextDecoder().decode(new Uint8Array(wasm!.memory.buffer, ptr >>> 0, len));
  const handlers: Record<string, (...args: number[]) => unknown> = {
    __wbg_set_message_: () => undefined,
    __wbg_Error_: (p, l) => new Error(text(p!, l!)),
    __wbg___wbindgen_throw_: (p, l) => {
      throw new Error(text(p!, l!));
    },
    __wbindgen_init_externref_table: () => {
      const t = wasm!.__wbindgen_externrefs;
      const o = t.grow(4);
      t.set(0, undefined);
      t.set(o, undefined);
      t.set(o + 1, null);
      t.set(o + 2, true);
      t.set(o + 3, false);
    },
  };
  const imports: Record<string, Record<string, unknown>> = {};
  for (const imp of Module.imports(module)) {
    const key = Object.keys(handlers).find((k) => imp.name.startsWith(k));
    if (!key)
      throw new Error(`prisma schema wasm needs an unknown import ${imp.name}: update tests/support/prisma-dmmf.ts`);
    imports[imp.module] ??= {};
    imports[imp.module]![imp.name] = handlers[key];
  }
  wasm = new Instance(module, imports).exports as SchemaWasm;
  wasm.__wbindgen_start();
  return wasm;
}

export function getDmmf(prismaSchema: string): Dmmf {
  const w = load();
  const input = new TextEncoder().encode(JSON.stringify({ prismaSchema, noColor: true }));
  const ptr = w.__wbindgen_malloc(input.length, 1) >>> 0;
  new Uint8Array(w.memory.buffer, ptr, input.length).set(input);
  const [outPtr, outLen, errRef, failed] = w.get_dmmf(ptr, input.length);
  if (failed) throw w.__wbindgen_externrefs.get(errRef);
  try {
    return JSON.parse(new TextDecoder().decode(new Uint8Array(w.memory.buffer, outPtr >>> 0, outLen))) as Dmmf;
  } finally {
    w.__wbindgen_free(outPtr, outLen, 1);
  }
}
