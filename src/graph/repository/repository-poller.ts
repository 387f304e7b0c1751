/**
 * Poll mode's scanner: every `seconds` (each scan starts that long after the previous one ended) it
 * reads the repository's folders and asks the registry to load new ones, reload those whose fingerprint
 * (settings, model files, version folders: see fingerprintFolder) changed since their last load attempt,
 * and unload models whose folder is gone. A folder that failed is tried again only once it changes.
 * Failures are logged (the index shows them), never thrown.
 */
import { fingerprintFolder, listModelFolders, readModelFolder } from '../../model/model-repository';
import type { ServingLogger } from '../../step/context';
import { messageOf } from './model-steps';

/** What the poller asks of the registry. */
export interface PolledRegistry {
  /** The fingerprint of the model's last load attempt; undefined when never tried (or unloaded). */
  triedFingerprint(name: string): string | undefined;
  /** Loads (or reloads) model `name` from `dir`. */
  loadFrom(name: string, dir: string): Promise<void>;
  unload(name: string): Promise<void>;
  /** The models that have routes now. */
  servedNames(): string[];
}

export interface PollerOptions {
  repository: string;
  /** KServe's layout: the repository's root is this one model. */
  modelName?: string;
  seconds: number;
  logger: ServingLogger;
}

export class RepositoryPoller {
  #timer: NodeJS.Timeout | undefined;
  #scan: Promise<void> | undefined;
  #stopped = false;

  constructor(
    private readonly registry: PolledRegistry,
    private readonly options: PollerOptions,
  ) {}

  /** Schedules the next scan (the timer does not keep the process alive). */
  start(): void {
    if (this.#stopped) return;
    this.#timer = setTimeout(() => {
      this.#scan = this.scan().finally(() => this.start());
    }, this.options.seconds * 1000);
    this.#timer.unref();
  }

  /** No more scans; resolves once a scan in progress has ended. */
  async stop(): Promise<void> {
    this.#stopped = true;
    clearTimeout(this.#timer);
    await this.#scan?.catch(() => undefined);
  }

  /** One scan (see the file comment). */
  async scan(): Promise<void> {
    const { repository, modelName } = this.options;
    const folders = await listModelFolders(repository, modelName).catch((err: unknown) => {
      this.options.logger.warn(`repository poll: ${messageOf(err)}`);
      return undefined;
    });
    if (folders === undefined) return;
    const present = new Set<string>();
    const work: Array<Promise<unknown>> = [];
    for (const { folder, dir } of folders) {
      const read = await readModelFolder(dir, folder).catch(() => undefined);
      const name = modelName ?? read?.name ?? folder;
      present.add(name);
      const fingerprint = read?.fingerprint ?? (await fingerprintFolder(dir));
      if (this.registry.triedFingerprint(name) === fingerprint) continue;
      work.push(this.registry.loadFrom(name, dir).catch((err: unknown) => this.log(name, err)));
    }
    for (const name of this.registry.servedNames()) {
      if (!present.has(name)) work.push(this.registry.unload(name).catch((err: unknown) => this.log(name, err)));
    }
    await Promise.all(work);
  }

  private log(name: string, err: unknown): void {
    this.options.logger.warn(`repository poll: model ${name}: ${messageOf(err)}`);
  }
}
