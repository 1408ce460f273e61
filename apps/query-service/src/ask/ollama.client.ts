import {
  BadGatewayException,
  GatewayTimeoutException,
  HttpException,
  Inject,
  Injectable,
  ServiceUnavailableException,
} from '@nestjs/common';
import { performance } from 'node:perf_hooks';
import { APP_CONFIG, AppConfig } from '@app/platform';

/** The parts of Ollama's HTTP API the ask path uses: /api/generate (non-streaming) and /api/embed. */
@Injectable()
export class OllamaClient {
  lastError?: string;
  lastOkAt?: string;

  constructor(@Inject(APP_CONFIG) private readonly config: AppConfig) {}

  private get settings() {
    return this.config.ask.ollama;
  }

  /** The model's answer to a prompt, at the configured (low) temperature. */
  async generate(system: string, prompt: string): Promise<{ text: string; ms: number }> {
    const started = performance.now();
    const body = await this.post<{ response?: unknown }>('/api/generate', this.settings.model, {
      model: this.settings.model,
      system,
      prompt,
      stream: false,
      options: { temperature: this.settings.temperature },
    });
    if (typeof body.response !== 'string')
      throw this.fail(new BadGatewayException(`Ollama's /api/generate answer has no "response" text`));
    return { text: body.response, ms: performance.now() - started };
  }

  /** The embedding of a text (the semantic cache compares questions with it). */
  async embed(text: string): Promise<{ vector: number[]; ms: number }> {
    const started = performance.now();
    const body = await this.post<{ embeddings?: unknown }>('/api/embed', this.settings.embedModel, {
      model: this.settings.embedModel,
      input: text,
    });
    const vector = Array.isArray(body.embeddings) ? (body.embeddings[0] as unknown) : undefined;
    if (
      !Array.isArray(vector) ||
      vector.length === 0 ||
      !vector.every((x) => typeof x === 'number' && Number.isFinite(x))
    )
      throw this.fail(new BadGatewayException(`Ollama's /api/embed answer has no embedding`));
    return { vector: vector as number[], ms: performance.now() - started };
  }

  private async post<T>(path: string, model: string, payload: unknown): Promise<T> {
    const url = `${this.settings.baseUrl}${path}`;
    let res: Response;
    try {
      res = await fetch(url, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify(payload),
        signal: AbortSignal.timeout(this.settings.timeoutMs),
      });
    } catch (e) {
      const err = e as Error & { cause?: { code?: string; message?: string } };
      if (err.name === 'TimeoutError' || err.name === 'AbortError')
        throw this.fail(
          new GatewayTimeoutException(
            `the model ${model} did not answer within ${this.settings.timeoutMs} ms (OLLAMA_TIMEOUT_MS)`,
          ),
        );
      throw this.fail(
        new ServiceUnavailableException(
          `no model is reachable at ${this.settings.baseUrl} (${err.cause?.code ?? err.cause?.message ?? err.message}): ` +
            `start Ollama (\`ollama serve\`, then \`ollama pull ${model}\`) or set OLLAMA_URL`,
        ),
      );
    }
    let text: string;
    try {
      text = await res.text();
    } catch (e) {
      const timedOut = (e as Error).name === 'TimeoutError' || (e as Error).name === 'AbortError';
      throw this.fail(
        timedOut
          ? new GatewayTimeoutException(
              `the model ${model} did not answer within ${this.settings.timeoutMs} ms (OLLAMA_TIMEOUT_MS)`,
            )
          : new BadGatewayException(`Ollama's answer broke off: ${(e as Error).message}`),
      );
    }
    let body: Record<string, unknown>;
    try {
      body = JSON.parse(text) as Record<string, unknown>;
    } catch {
      throw this.fail(
        new BadGatewayException(`Ollama answered ${res.status} with something that is not JSON`),
      );
    }
    if (res.status === 404)
      throw this.fail(
        new ServiceUnavailableException(
          `Ollama at ${this.settings.baseUrl} has no model ${model} (${String(body.error ?? 'not found')}): \`ollama pull ${model}\``,
        ),
      );
    if (!res.ok)
      throw this.fail(
        new BadGatewayException(`Ollama answered ${res.status}: ${String(body.error ?? text.slice(0, 200))}`),
      );
    this.lastError = undefined;
    this.lastOkAt = new Date().toISOString();
    return body as T;
  }

  private fail(e: HttpException): HttpException {
    this.lastError = e.message;
    return e;
  }
}
