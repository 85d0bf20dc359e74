// Command dispatch for bin/floe.ts. Each command lives in its own file.
import { parseArgs } from 'node:util';
import path from 'node:path';
import { demo } from './demo.ts';
import { quickstart } from './quickstart.ts';
import { inspect } from './inspect.ts';
import { maintain } from './maintain.ts';
import { maintainWorker } from './maintain-worker.ts';
import { catalogFromConfig, registryFromConfig, run } from './run.ts';
import { preflight } from './preflight.ts';
import { serve } from './serve.ts';
import { loadConnectorConfig } from '../config/connector-config.ts';
import { securityLabel } from '../kafka/connection.ts';
import { embeddedCatalog, DEFAULT_WAREHOUSE_DIR } from './embedded.ts';
import { FloeError } from '../errors.ts';
import { configureLogs, parseFormat, parseLevel } from '../log.ts';

const USAGE = `usage: floe <command> [options]

commands:
  quickstart  produce demo events to a local Kafka, land them with connectors/demo.yaml in a
              local table (embedded catalog), show what landed (npm start runs it via scripts/start.sh)
              --brokers H:P     Kafka (default: the connector file's, 127.0.0.1:9092)
              --topic NAME      topic (default demo-events; dead letters to NAME.dlq)
              --group ID        consumer group (default floe-demo)
              --count N         events to produce (default 100000)
              --partitions N    partitions of the topic when it is created (default 4)
              --warehouse DIR   local warehouse folder (default ./${DEFAULT_WAREHOUSE_DIR})
              --seed N          event generator seed (default: the topic's record count + 1)
              --timeout S       seconds the connector may take to land everything (default 300)
  run       run a connector: Kafka topics → Iceberg tables, exactly once
              floe run -c connectors/NAME.yaml
  serve     HTTP append API: POST /v1/tables/NS.TABLE/append (JSON or NDJSON) → Iceberg, one group
            commit per table, 200 once committed (docs/ingest.md)
              floe serve [-c ingest.yaml] [--port N] [--warehouse DIR]   (default: embedded catalog in ./${DEFAULT_WAREHOUSE_DIR})
  demo-writer  write sample events straight through the table writer (no Kafka) into a local
              table (embedded catalog) and show what landed
              --warehouse DIR   local warehouse folder (default ./${DEFAULT_WAREHOUSE_DIR})
              --table NS.NAME   table (default demo.events)
              --rows N          events to write (default 100000)
              --batches N       appends (snapshots) to split them into (default 5)
  validate  check a connector file and print what it will do (no server is contacted)
              floe validate -c connectors/NAME.yaml [--connect]
              --connect         also run floe run's start-up checks against the servers: the
                                registry's API and credentials, the brokers, the dead-letter topic
  maintain  one maintenance pass on a table, its plan printed first: stitch small files,
            expire snapshots (each connector's offsets snapshot kept), remove orphan files
              floe maintain NS.NAME [--warehouse DIR | -c connectors/NAME.yaml] [--dry-run]
              --target-file-size BYTES         (default write.target-file-size-bytes, else 512 MiB)
              --commit-groups N                compaction groups per replace snapshot (default 100)
              --max-snapshot-age-ms MS         (default history.expire.max-snapshot-age-ms, else 5 days)
              --min-snapshots N                (default history.expire.min-snapshots-to-keep, else 1)
              --orphan-window-ms MS            orphans younger than this stay (default 3 days)
            without a table name: the maintenance worker, until SIGTERM (README, "Maintenance files")
              floe maintain -c connectors/maintenance.yaml
  inspect   show a table's snapshots (and how floe's came to be), files, rows and each
            connector's Kafka offsets
              floe inspect NS.NAME [--warehouse DIR | -c connectors/NAME.yaml]
              --offset TOPIC:PARTITION:OFFSET   which snapshot holds that record
              --snapshots N                     how many recent snapshots to list (default 10)

log options (any command; or FLOE_LOG_FORMAT, FLOE_LOG_LEVEL):
  --log-format text|json   text lines "floe[NAME] …" (default), or one JSON object per line
                           (time, level, connector, message, fields)
  --log-level LEVEL        debug, info (default), warn or error
`;

export async function main(argv: string[]): Promise<number> {
  let command: string | undefined;
  let rest: string[];
  try {
    [command, ...rest] = takeLogFlags(argv);
  } catch (err) {
    console.error(`floe: ${(err as Error).message}`);
    return 2;
  }
  try {
    switch (command) {
      case 'quickstart': {
        const { values } = parseArgs({
          args: rest,
          options: {
            brokers: { type: 'string' },
            topic: { type: 'string' },
            group: { type: 'string' },
            count: { type: 'string' },
            partitions: { type: 'string' },
            warehouse: { type: 'string' },
            seed: { type: 'string' },
            timeout: { type: 'string' },
          },
        });
        return await quickstart({
          brokers: values.brokers
            ?.split(',')
            .map((b) => b.trim())
            .filter(Boolean),
          topic: values.topic,
          group: values.group,
          count: values.count === undefined ? undefined : positiveInt('--count', values.count),
          partitions: values.partitions === undefined ? undefined : positiveInt('--partitions', values.partitions),
          warehouse: values.warehouse,
          seed: values.seed === undefined ? undefined : positiveInt('--seed', values.seed),
          timeoutMs: values.timeout === undefined ? undefined : positiveInt('--timeout', values.timeout) * 1000,
        });
      }
      case 'demo-writer': {
        const { values } = parseArgs({ args: rest, options: { warehouse: { type: 'string' }, table: { type: 'string' }, rows: { type: 'string' }, batches: { type: 'string' } } });
        await demo({
          warehouse: values.warehouse,
          table: values.table,
          rows: values.rows === undefined ? undefined : positiveInt('--rows', values.rows),
          batches: values.batches === undefined ? undefined : positiveInt('--batches', values.batches),
        });
        return 0;
      }
      case 'run': {
        const { values } = parseArgs({ args: rest, options: { config: { type: 'string', short: 'c' } } });
        if (!values.config) throw new UsageError('floe run needs -c <connector file>');
        return await run(values.config);
      }
      case 'serve': {
        const { values } = parseArgs({ args: rest, options: { config: { type: 'string', short: 'c' }, port: { type: 'string' }, warehouse: { type: 'string' } } });
        return await serve(values.config, { port: values.port === undefined ? undefined : wholeNumber('--port', values.port, 0), warehouse: values.warehouse });
      }
      case 'validate': {
        const { values } = parseArgs({ args: rest, options: { config: { type: 'string', short: 'c' }, connect: { type: 'boolean' } } });
        if (!values.config) throw new UsageError('floe validate needs -c <connector file>');
        const c = loadConnectorConfig(values.config);
        const servers = values.connect
          ? await preflight(c, { registry: c.format === 'json' ? undefined : registryFromConfig(c.schemaRegistry!), unreachableRegistry: 'fail', brokers: true })
          : undefined;
        const from = c.topics ? c.topics.join(', ') : `topics matching /${c.topicPattern}/`;
        const route = c.route.by === 'field' ? ` by field ${c.route.field}` : '';
        process.stdout.write(
          `${values.config}: ok\n  ${from} (${c.format}) → ${c.table.name}${route} in a ${c.catalog.type} catalog at ${c.catalog.uri}\n` +
            `  partitioned by ${c.table.partitionBy.join(', ') || 'nothing'}; commit every ${c.commit.intervalMs} ms, ${c.commit.maxRows} rows or ${c.commit.maxBytes} bytes\n` +
            `  bad records: ${c.errors.tolerance === 'all' ? `to ${c.errors.deadLetterTopic}` : 'stop the connector'}\n` +
            `  kafka: ${c.kafka.brokers.join(',')} over ${securityLabel(c.kafka)}${c.schemaRegistry?.tls ? `; registry with ${c.schemaRegistry.tls.cert ? 'a client certificate' : 'its own CA'}` : ''}\n` +
            (servers ? servers.checked.map((line) => `  checked: ${line}\n`).join('') : '  servers not contacted (--connect checks the registry, the brokers and the dead-letter topic)\n'),
        );
        return 0;
      }
      case 'maintain': {
        const { values, positionals } = parseArgs({
          args: rest,
          allowPositionals: true,
          options: {
            warehouse: { type: 'string' },
            config: { type: 'string', short: 'c' },
            'dry-run': { type: 'boolean' },
            'target-file-size': { type: 'string' },
            'commit-groups': { type: 'string' },
            'max-snapshot-age-ms': { type: 'string' },
            'min-snapshots': { type: 'string' },
            'orphan-window-ms': { type: 'string' },
          },
        });
        if (positionals.length === 0 && values.config !== undefined) {
          const oneOff = ['warehouse', 'dry-run', 'target-file-size', 'commit-groups', 'max-snapshot-age-ms', 'min-snapshots', 'orphan-window-ms'].filter(
            (k) => values[k as keyof typeof values] !== undefined,
          );
          if (oneOff.length > 0) throw new UsageError(`--${oneOff[0]} is for one pass on a table (floe maintain NS.TABLE ...); a maintenance file sets the worker's settings per table`);
          return await maintainWorker(values.config);
        }
        if (positionals.length !== 1) throw new UsageError('floe maintain takes one table name (namespace.table), or -c <maintenance file> alone for the worker');
        if (values.warehouse !== undefined && values.config !== undefined) throw new UsageError('floe maintain takes --warehouse or -c, not both');
        const cfg = values.config !== undefined ? loadConnectorConfig(values.config) : undefined;
        const catalog = cfg ? catalogFromConfig(cfg.catalog, path.dirname(path.resolve(values.config!))) : embeddedCatalog(values.warehouse).catalog;
        const num = (flag: string, v: string | undefined, min: number) => (v === undefined ? undefined : wholeNumber(flag, v, min));
        try {
          const summary = await maintain(catalog, positionals[0], {
            dryRun: values['dry-run'] ?? false,
            targetBytes: num('--target-file-size', values['target-file-size'], 1),
            commitGroups: num('--commit-groups', values['commit-groups'], 1),
            maxSnapshotAgeMs: num('--max-snapshot-age-ms', values['max-snapshot-age-ms'], 0),
            minSnapshotsToKeep: num('--min-snapshots', values['min-snapshots'], 1),
            orphanWindowMs: num('--orphan-window-ms', values['orphan-window-ms'], 0),
            ioProperties: cfg?.catalog.properties,
          });
          return summary.groups.failed > 0 ? 1 : 0;
        } finally {
          await catalog.close?.();
        }
      }
      case 'inspect': {
        const { values, positionals } = parseArgs({
          args: rest,
          allowPositionals: true,
          options: { warehouse: { type: 'string' }, config: { type: 'string', short: 'c' }, offset: { type: 'string' }, snapshots: { type: 'string' } },
        });
        if (positionals.length !== 1) throw new UsageError('floe inspect takes one table name (namespace.table)');
        if (values.warehouse !== undefined && values.config !== undefined) throw new UsageError('floe inspect takes --warehouse or -c, not both');
        if (values.offset !== undefined && !/^.+:\d+:\d+$/.test(values.offset)) throw new UsageError(`--offset must be TOPIC:PARTITION:OFFSET, got "${values.offset}"`);
        const catalog =
          values.config !== undefined ? catalogFromConfig(loadConnectorConfig(values.config).catalog, path.dirname(path.resolve(values.config))) : embeddedCatalog(values.warehouse).catalog;
        try {
          await inspect(catalog, positionals[0], console.log, values.snapshots === undefined ? 10 : positiveInt('--snapshots', values.snapshots), values.offset);
        } finally {
          await catalog.close?.();
        }
        return 0;
      }
      case undefined:
      case 'help':
      case '--help':
      case '-h':
        process.stdout.write(USAGE);
        return command === undefined ? 2 : 0;
      default:
        throw new UsageError(`unknown command "${command}"`);
    }
  } catch (err) {
    if (err instanceof UsageError || String((err as { code?: string }).code ?? '').startsWith('ERR_PARSE_ARGS')) {
      process.stderr.write(`floe: ${(err as Error).message}\n\n${USAGE}`);
      return 2;
    }
    process.stderr.write(`floe: ${(err as Error).message}\n`);
    return 1;
  }
}

/** Takes `--log-format text|json` and `--log-level debug|info|warn|error` (anywhere, `=` or a separate value) out of argv and applies them (log.ts). */
function takeLogFlags(argv: string[]): string[] {
  const out: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const m = /^--log-(format|level)(?:=(.*))?$/.exec(argv[i]);
    if (!m) {
      out.push(argv[i]);
      continue;
    }
    const value = m[2] ?? argv[++i];
    if (value === undefined) throw new UsageError(`--log-${m[1]} needs a value`);
    if (m[1] === 'format') configureLogs({ format: parseFormat(value, '--log-format') });
    else configureLogs({ level: parseLevel(value, '--log-level') });
  }
  return out;
}

class UsageError extends FloeError {
  constructor(message: string, options?: { cause?: unknown }) {
    super('fatal', message, options);
  }
}

function wholeNumber(flag: string, v: string, min: number): number {
  const n = Number(v);
  if (!Number.isSafeInteger(n) || n < min) throw new UsageError(`${flag} must be a whole number of at least ${min}, got "${v}"`);
  return n;
}

function positiveInt(flag: string, v: string): number {
  const n = Number(v);
  if (!Number.isInteger(n) || n <= 0) throw new UsageError(`${flag} must be a positive whole number, got "${v}"`);
  return n;
}
