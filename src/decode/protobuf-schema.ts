// A Protobuf schema from a registry (.proto text plus the files it imports) parsed with
// protobufjs, and the message that a wire-format message-index path names.
// Field names keep their .proto spelling (keepCase), so columns are snake_case as declared.
// Imports that are neither given nor bundled with protobufjs come from known-protos.ts.
import protobuf from 'protobufjs';
import { DecodeError } from './decode-error.ts';
import { knownProtoFile } from './known-protos.ts';

export interface ProtobufFile {
  name: string;
  schema: string;
}

export interface ProtobufSchema {
  root: protobuf.Root;
  /** The schema file's top-level messages, in declaration order (message index 0, 1, ...). */
  messages: protobuf.Type[];
  /** The message a message-index path names ([0] = first message of the file). */
  messageAt(indexes: readonly number[]): protobuf.Type;
}

const OPTIONS = { keepCase: true, alternateCommentMode: false };

function childTypes(ns: protobuf.NamespaceBase): protobuf.Type[] {
  return ns.nestedArray.filter((x): x is protobuf.Type => x instanceof protobuf.Type);
}

/**
 * Parses `schema` with `dependencies` (the files it imports, in any order, named as in its
 * import statements). Well-known google/protobuf/*.proto imports that are not given are
 * supplied from protobufjs's bundled definitions.
 */
export function parseProtobufSchema(schema: string, dependencies: readonly ProtobufFile[] = []): ProtobufSchema {
  try {
    // The file alone first, to learn its own top-level messages in order.
    const own = protobuf.parse(schema, new protobuf.Root(), OPTIONS);
    const ownNs = own.package ? own.root.lookup(own.package) : own.root;
    if (!(ownNs instanceof protobuf.Namespace) && !(ownNs instanceof protobuf.Root)) {
      throw new Error(`package ${own.package} not found`);
    }
    const topNames = childTypes(ownNs as protobuf.NamespaceBase).map((t) => t.fullName);

    const root = new protobuf.Root();
    const given = new Set(dependencies.map((d) => d.name));
    const added = new Set<string>();
    const addCommon = (imports: string[] | undefined): void => {
      for (const imp of imports ?? []) {
        if (given.has(imp) || added.has(imp)) continue;
        added.add(imp);
        const json = protobuf.common.get(imp) as { nested?: Record<string, protobuf.AnyNestedObject> } | null;
        if (json) {
          root.addJSON(json.nested ?? {});
          continue;
        }
        // known types a serializer does not register as references (see known-protos.ts)
        const known = knownProtoFile(imp);
        if (known === undefined) throw new Error(`import "${imp}" is neither a reference of the schema nor a well-known type`);
        addCommon(protobuf.parse(known, root, OPTIONS).imports);
      }
    };
    for (const dep of dependencies) addCommon(protobuf.parse(dep.schema, root, OPTIONS).imports);
    addCommon(protobuf.parse(schema, root, OPTIONS).imports);
    root.resolveAll();

    const messages = topNames.map((n) => root.lookupType(n));
    const byPath = new Map<string, protobuf.Type>();
    return {
      root,
      messages,
      messageAt(indexes) {
        const key = indexes.join(',');
        let t = byPath.get(key);
        if (t) return t;
        let siblings = messages;
        for (let i = 0; i < indexes.length; i++) {
          t = siblings[indexes[i]];
          if (!t) throw new DecodeError('unsupported-schema', `message index path [${indexes.join(', ')}] names no message of the schema`);
          siblings = childTypes(t);
        }
        if (!t) throw new DecodeError('unsupported-schema', 'empty message index path');
        byPath.set(key, t);
        return t;
      },
    };
  } catch (e) {
    if (e instanceof DecodeError) throw e;
    throw new DecodeError('unsupported-schema', `Protobuf schema does not parse: ${(e as Error).message}`, { cause: e });
  }
}
