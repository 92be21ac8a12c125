import { execFile, execFileSync } from 'node:child_process';
import { chownSync, existsSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { Client } from 'pg';
import { freePort } from './processes';

const run = promisify(execFile);

/** PostgreSQL's binaries: TEST_PG_BINDIR, else the newest under /usr/lib/postgresql. */
function postgresBinDir(): string {
  if (process.env.TEST_PG_BINDIR) return process.env.TEST_PG_BINDIR;
  const root = '/usr/lib/postgresql';
  const versions = existsSync(root) ? readdirSync(root).filter((v) => existsSync(join(root, v, 'bin/initdb'))) : [];
  const newest = versions.sort((a, b) => Number(b) - Number(a))[0];
  if (!newest) throw new Error('no PostgreSQL binaries found: set TEST_PG_BINDIR to the directory holding initdb and pg_ctl');
  return join(root, newest, 'bin');
}

/**
 * A PostgreSQL cluster of the test's own (initdb in a temporary directory, trust auth, user
 * `postgres`, fsync off) on a free port, that the test can stop and start again. Postgres will
 * not run as root, so as root the cluster is owned by and run as the `postgres` user.
 */
export class ThrowawayPostgres {
  private readonly bin = postgresBinDir();
  private readonly dir = mkdtempSync(join(tmpdir(), 'sy-pg-'));

  private constructor(readonly port: number) {}

  static async start(): Promise<ThrowawayPostgres> {
    const pg = new ThrowawayPostgres(await freePort());
    try {
      if (process.getuid?.() === 0) {
        const { stdout } = await run('id', ['-u', 'postgres']);
        const { stdout: gid } = await run('id', ['-g', 'postgres']);
        chownSync(pg.dir, Number(stdout.trim()), Number(gid.trim()));
      }
      await pg.exec('initdb', ['-D', pg.dataDir, '-U', 'postgres', '--auth=trust', '--no-sync', '-E', 'UTF8']);
      await pg.start();
    } catch (err) {
      await pg.remove();
      throw err;
    }
    return pg;
  }

  private get dataDir(): string {
    return join(this.dir, 'data');
  }

  /** A database URL on this cluster. */
  url(database = 'postgres'): string {
    return `postgresql://postgres@127.0.0.1:${this.port}/${database}`;
  }

  async createDatabase(name: string): Promise<string> {
    const client = new Client({ connectionString: this.url() });
    await client.connect();
    try {
      await client.query(`CREATE DATABASE "${name}"`);
    } finally {
      await client.end();
    }
    return this.url(name);
  }

  async start(): Promise<void> {
    const options = `-p ${this.port} -k ${this.dir} -c listen_addresses=127.0.0.1 -c fsync=off`;
    await this.exec('pg_ctl', ['-D', this.dataDir, '-o', options, '-l', join(this.dir, 'log'), '-w', 'start']);
  }

  /** Fast shutdown: open connections are terminated, as in a real restart. */
  async stop(): Promise<void> {
    await this.exec('pg_ctl', ['-D', this.dataDir, '-m', 'fast', '-w', 'stop']).catch(() => undefined);
  }

  async remove(): Promise<void> {
    await this.stop();
    rmSync(this.dir, { recursive: true, force: true });
  }

  /** For an exiting process, which cannot wait: immediate shutdown, then the files go. */
  removeNow(): void {
    try {
      execFileSync(...this.command('pg_ctl', ['-D', this.dataDir, '-m', 'immediate', '-w', 'stop']), { cwd: this.dir, stdio: 'ignore' });
    } catch {
      // Not running.
    }
    rmSync(this.dir, { recursive: true, force: true });
  }

  private async exec(tool: string, args: string[]): Promise<void> {
    await run(...this.command(tool, args), { cwd: this.dir });
  }

  /** Postgres refuses to run as root: as root, its tools run as the `postgres` user. */
  private command(tool: string, args: string[]): [string, string[]] {
    const path = join(this.bin, tool);
    return process.getuid?.() === 0 ? ['runuser', ['-u', 'postgres', '--', path, ...args]] : [path, args];
  }
}
