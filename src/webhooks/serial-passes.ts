// One pass at a time over work that keeps arriving: a kick during a pass asks for one more after it, so
// passes never overlap and nothing kicked waits for a timer.
export class SerialPasses {
  private pass: Promise<void> | null = null;
  private again = false;

  constructor(
    private readonly run: () => Promise<void>,
    private readonly failed: (error: unknown) => void,
  ) {}

  /** Starts a pass, or asks the one under way for another when it ends. */
  kick(): void {
    if (this.pass) {
      this.again = true;
      return;
    }
    this.pass = this.run()
      .catch(this.failed)
      .finally(() => {
        this.pass = null;
        if (this.again) {
          this.again = false;
          this.kick();
        }
      });
  }

  /** Resolves when no pass is under way. */
  async idle(): Promise<void> {
    while (this.pass) await this.pass;
  }
}
