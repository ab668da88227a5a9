import cliProgress from 'cli-progress';

type Out = NodeJS.WritableStream & { isTTY?: boolean };

/**
 * Progress of counted work (images, tokens, designs) on stderr. On a terminal: a cli-progress bar.
 * Elsewhere (CI logs, pipes): a line when the first item completes (so a log shows the work is
 * flowing), then one each time another tenth of the total is done, and one at the end; lines are
 * driven by the count, never by a timer, so what is printed does not depend on the machine's speed.
 */
export class CountProgress {
  private readonly bar?: cliProgress.SingleBar;
  private readonly started: number;
  private done = 0;
  private nextTenth = 1;

  constructor(
    private readonly label: string,
    private readonly total: number,
    private readonly unit: string,
    private readonly out: Out = process.stderr,
    private readonly now: () => number = Date.now,
  ) {
    this.started = now();
    if (out.isTTY) {
      this.bar = new cliProgress.SingleBar(
        {
          format: `${label} |{bar}| {value}/{total} ${unit} | {speed} ${unit}/s | ETA {eta_formatted}`,
          hideCursor: true,
          etaBuffer: 8,
          stream: out,
        },
        cliProgress.Presets.shades_classic,
      );
      this.bar.start(total, 0, { speed: '-' });
    }
  }

  /** Marks `n` more items done. */
  tick(n = 1): void {
    this.done += n;
    const rate = this.done / Math.max(1e-3, (this.now() - this.started) / 1000);
    if (this.bar) {
      this.bar.update(this.done, { speed: rate.toFixed(2) });
      return;
    }
    const tenth = Math.floor((10 * this.done) / Math.max(1, this.total));
    if (this.done === n || tenth >= this.nextTenth) {
      this.nextTenth = tenth + 1;
      this.out.write(`${this.label}: ${this.done}/${this.total} ${this.unit} (${rate.toFixed(2)} ${this.unit}/s)\n`);
    }
  }

  stop(): void {
    this.bar?.stop();
  }
}
