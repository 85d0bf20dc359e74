// Admin helper: topics, their configs, partition offsets and a group's committed offsets.
import { Admin, ConfigResourceTypes } from '@platformatic/kafka';
import { clientBaseOptions } from './connection.ts';
import { connectError } from './errors.ts';
import { probeTls } from './tls-probe.ts';
import type { KafkaConnectionOptions } from './types.ts';

export interface CreateTopicOptions {
  partitions: number;
  /** default 1 */
  replicationFactor?: number;
  /** topic configs, e.g. { 'retention.ms': '-1' } */
  configs?: Record<string, string>;
}

/** sentinel timestamps of the ListOffsets API */
const LATEST = -1n;
const EARLIEST = -2n;

export class KafkaAdmin {
  readonly #admin: Admin;

  private constructor(admin: Admin) {
    this.#admin = admin;
  }

  static async connect(options: KafkaConnectionOptions): Promise<KafkaAdmin> {
    const admin = new Admin(clientBaseOptions(options, 'admin'));
    const a = new KafkaAdmin(admin);
    try {
      await admin.metadata({ topics: [] });
    } catch (err) {
      await admin.close().catch(() => {});
      throw connectError(options, (await probeTls(options)) ?? err);
    }
    return a;
  }

  async listTopics(): Promise<string[]> {
    return (await this.#admin.listTopics()).sort();
  }

  /** creates the topic; an existing topic is an error unless `ifMissing` */
  async createTopic(topic: string, options: CreateTopicOptions, ifMissing = false): Promise<void> {
    if (ifMissing && (await this.listTopics()).includes(topic)) return;
    await this.#admin.createTopics({
      topics: [topic],
      partitions: options.partitions,
      replicas: options.replicationFactor ?? 1,
      configs: Object.entries(options.configs ?? {}).map(([name, value]) => ({ name, value })),
    });
    // metadata propagates asynchronously: wait until every partition has a leader
    const deadline = Date.now() + 15_000;
    for (;;) {
      try {
        const md = await this.#admin.metadata({ topics: [topic], forceUpdate: true });
        const t = md.topics.get(topic);
        if (t && t.partitionsCount === options.partitions && t.partitions.every((p) => p && p.leader >= 0)) return;
      } catch {
        // not there yet
      }
      if (Date.now() > deadline) throw new Error(`kafka: topic ${topic} created but has no leaders after 15 s`);
      await new Promise((r) => setTimeout(r, 100));
    }
  }

  /**
   * The topic's effective configs (its own, else the broker's defaults), e.g.
   * ['max.message.bytes'] → { 'max.message.bytes': '1048588' }; undefined when the topic does
   * not exist (asked first: the broker's answer for a missing topic is retried as transient).
   */
  async topicConfig(topic: string, names: string[]): Promise<Record<string, string> | undefined> {
    if (!(await this.listTopics()).includes(topic)) return undefined;
    const res = await this.#admin.describeConfigs({ resources: [{ resourceType: ConfigResourceTypes.TOPIC, resourceName: topic, configurationKeys: names }] });
    const out: Record<string, string> = {};
    for (const r of res) for (const c of r.configs) if (typeof c.value === 'string') out[c.name] = c.value;
    return out;
  }

  async deleteTopics(topics: string[]): Promise<void> {
    if (topics.length > 0) await this.#admin.deleteTopics({ topics });
  }

  async partitionCount(topic: string): Promise<number> {
    const md = await this.#admin.metadata({ topics: [topic], forceUpdate: true });
    const t = md.topics.get(topic);
    if (!t) throw new Error(`kafka: no topic ${topic}`);
    return t.partitionsCount;
  }

  /** partition → offset after the last record (the high watermark) */
  endOffsets(topic: string): Promise<Map<number, bigint>> {
    return this.#listOffsets(topic, LATEST);
  }

  /** partition → first offset still in the log */
  startOffsets(topic: string): Promise<Map<number, bigint>> {
    return this.#listOffsets(topic, EARLIEST);
  }

  async #listOffsets(topic: string, timestamp: bigint): Promise<Map<number, bigint>> {
    const n = await this.partitionCount(topic);
    const res = await this.#admin.listOffsets({
      topics: [{ name: topic, partitions: Array.from({ length: n }, (_, partitionIndex) => ({ partitionIndex, timestamp })) }],
    });
    const out = new Map<number, bigint>();
    for (const t of res) for (const p of t.partitions) out.set(p.partitionIndex, p.offset);
    return new Map([...out].sort((a, b) => a[0] - b[0]));
  }

  /** topic → partition → committed offset of the group (partitions without one are absent) */
  async committedOffsets(groupId: string): Promise<Map<string, Map<number, bigint>>> {
    const res = await this.#admin.listConsumerGroupOffsets({ groups: [groupId] });
    const out = new Map<string, Map<number, bigint>>();
    for (const g of res) {
      for (const t of g.topics) {
        for (const p of t.partitions) {
          if (p.committedOffset < 0n) continue;
          let m = out.get(t.name);
          if (!m) out.set(t.name, (m = new Map()));
          m.set(p.partitionIndex, p.committedOffset);
        }
      }
    }
    return out;
  }

  /** members of a group and their assigned partitions (as the broker reports them) */
  async describeGroup(groupId: string): Promise<{ state: string; members: { memberId: string; clientId: string }[] }> {
    const res = await this.#admin.describeGroups({ groups: [groupId] });
    const g = res.get(groupId);
    if (!g) return { state: 'Dead', members: [] };
    return { state: g.state, members: [...g.members.values()].map((m) => ({ memberId: m.id, clientId: m.clientId })) };
  }

  async deleteGroup(groupId: string): Promise<void> {
    await this.#admin.deleteGroups({ groups: [groupId] });
  }

  async close(): Promise<void> {
    await this.#admin.close();
  }
}
