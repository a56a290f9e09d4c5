import { describe, expect, it } from 'vitest';
import { ConfigError, loadConfig } from '../../functions/core/config.js';

describe('loadConfig', () => {
  it('gives defaults that make npm start work', () => {
    const config = loadConfig({});
    expect(config).toMatchObject({
      emulatorHost: '127.0.0.1:8085',
      projectId: 'relais-local',
      topic: 'personnages',
      ports: { ingest: 8080, archive: 8081, notify: 8082 },
      dataDir: './data',
      production: false,
      maxBodyBytes: 65_536,
      ingestApiKeys: [],
      publishBatchDelayMs: 1,
    });
    expect(Object.isFrozen(config)).toBe(true);
  });

  it('does not default to the emulator on Cloud Run', () => {
    expect(loadConfig({ K_SERVICE: 'archive' }).emulatorHost).toBeUndefined();
  });

  it('takes a publish batch delay of 0 (publish at once)', () => {
    expect(
      loadConfig({ PUBLISH_BATCH_DELAY_MS: '0' }).publishBatchDelayMs,
    ).toBe(0);
  });

  it('treats an empty variable as unset', () => {
    expect(loadConfig({ TOPIC: '' }).topic).toBe('personnages');
  });

  it('splits comma-separated lists and drops blanks', () => {
    expect(loadConfig({ INGEST_API_KEYS: ' a, b ,,' }).ingestApiKeys).toEqual([
      'a',
      'b',
    ]);
  });

  it.each([
    ['INGEST_PORT', 'eighty'],
    ['ARCHIVE_PORT', '70000'],
    ['TOPIC', 'goog-topic'],
    ['TOPIC', '1topic'],
    ['TOPIC', 'a b'],
    ['PUBSUB_EMULATOR_HOST', 'http://localhost:8085'],
    ['PUBSUB_EMULATOR_HOST', '[::1]:8085'],
    ['PUBSUB_EMULATOR_HOST', '127.0.0.1:99999'],
    ['PUBSUB_EMULATOR_HOST', '127.0.0.1:0'],
    ['PUBSUB_EMULATOR_HOST', '-:8085'],
    ['PUBSUB_EMULATOR_HOST', '...:8085'],
    ['PUBSUB_EMULATOR_HOST', 'a..b:8085'],
    ['FIRESTORE_EMULATOR_HOST', '127.0.0.1:65536'],
    ['IDEMPOTENCY_MAX_KEYS', '1000001'],
    ['PUBSUB_PROJECT_ID', 'Bad_Project'],
    ['LOG_LEVEL', 'loud'],
    ['PUSH_TOKEN', 'short'],
    ['PUBLISH_BATCH_DELAY_MS', '-1'],
    ['PUBLISH_BATCH_DELAY_MS', '1001'],
    ['PUBLISH_BATCH_DELAY_MS', '2.5'],
    // Number() takes these; a setting written so is more likely a mistake.
    ['PUBLISH_BATCH_DELAY_MS', '1e2'],
    ['PUBLISH_TIMEOUT_MS', '0x10'],
    ['NOTIFY_PORT', ' 8082'],
    ['MAX_BODY_BYTES', '65536 '],
    ['IDEMPOTENCY_MAX_KEYS', '0b11'],
    ['CALLBACK_TIMEOUT_MS', '+5000'],
    ['INGEST_PORT', '0'],
    ['IDEMPOTENCY_TTL_HOURS', '99999999999999999999'],
  ])('stops on a bad %s, naming it', (name, value) => {
    expect(() => loadConfig({ [name]: value })).toThrow(ConfigError);
    expect(() => loadConfig({ [name]: value })).toThrow(name);
  });

  it('says one thing per bad setting', () => {
    expect(() =>
      loadConfig({ IDEMPOTENCY_TTL_HOURS: '99999999999999999999' }),
    ).toThrow(/^invalid configuration:\n {2}IDEMPOTENCY_TTL_HOURS: [^\n]+$/);
  });

  it('takes an emulator host by name', () => {
    expect(
      loadConfig({ PUBSUB_EMULATOR_HOST: 'pubsub-emulator.local:8085' })
        .emulatorHost,
    ).toBe('pubsub-emulator.local:8085');
  });

  it('never echoes a bad secret', () => {
    try {
      loadConfig({ PUSH_TOKEN: 'not a token!' });
      expect.unreachable();
    } catch (err) {
      expect((err as Error).message).toContain('PUSH_TOKEN');
      expect((err as Error).message).not.toContain('not a token!');
    }
  });
});
