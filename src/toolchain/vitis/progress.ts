/**
 * The build's progress on stderr: one line per step when it ends (✓/✗, elapsed time). On a
 * terminal, a status line below shows the running steps and their elapsed time, redrawn each
 * second; elsewhere (CI logs) each step also gets a line when it starts.
 */
export class StepProgress {
  private readonly running = new Map<string, number>();
  private timer: NodeJS.Timeout | null = null;
  private readonly tty: boolean;

  constructor(
    private readonly out: NodeJS.WritableStream & { isTTY?: boolean },
    private readonly now: () => number = Date.now,
  ) {
    this.tty = Boolean(out.isTTY);
  }

  static seconds(ms: number): string {
    const s = ms / 1000;
    if (s < 60) return `${s.toFixed(1)} s`;
    const m = Math.floor(s / 60);
    return `${m} min ${Math.round(s - m * 60)} s`;
  }

  start(title: string): void {
    this.running.set(title, this.now());
    if (this.tty) {
      this.timer ??= setInterval(() => this.draw(), 1000);
      this.draw();
    } else this.out.write(`  …  ${title}\n`);
  }

  end(title: string, ok: boolean, note = ''): number {
    const started = this.running.get(title) ?? this.now();
    this.running.delete(title);
    const ms = this.now() - started;
    this.clear();
    this.out.write(
      `  ${ok ? '✓' : '✗'}  ${title.padEnd(44)} ${StepProgress.seconds(ms)}${note ? `  ${note}` : ''}\n`,
    );
    if (this.tty && this.running.size) this.draw();
    if (!this.running.size) this.stop();
    return ms;
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
    this.clear();
  }

  private clear(): void {
    if (this.tty) this.out.write('\r\x1b[K');
  }

  private draw(): void {
    if (!this.tty || !this.running.size) return;
    const parts = [...this.running].map(([t, s]) => `${t} ${StepProgress.seconds(this.now() - s)}`);
    const line = `  ▸  ${parts.join(' | ')}`;
    const columns = (this.out as { columns?: number }).columns;
    const width = columns && columns > 20 ? columns : 120;
    this.out.write(`\r\x1b[K${line.length > width - 1 ? line.slice(0, width - 2) + '…' : line}`);
  }
}
