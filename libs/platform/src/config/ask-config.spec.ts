import { ConfigError, deriveAskPassword, loadConfig, ollamaBaseUrl } from './config';

describe('ask settings', () => {
  it('take OLLAMA_URL as the original gives it (…/api/generate) or as a base URL', () => {
    expect(ollamaBaseUrl('http://localhost:11434/api/generate')).toBe('http://localhost:11434');
    expect(ollamaBaseUrl('http://gpu-box:11434/')).toBe('http://gpu-box:11434');
    expect(ollamaBaseUrl('https://proxy.example/ollama/api/generate')).toBe('https://proxy.example/ollama');
    expect(() => ollamaBaseUrl('localhost:11434')).toThrow(ConfigError);
    expect(() => ollamaBaseUrl('ftp://x/api/generate')).toThrow(/http or https/);
  });

  it("default to the original's model and URL, a low temperature and at most 1,000 rows", () => {
    const c = loadConfig({});
    expect(c.ask.ollama).toMatchObject({
      baseUrl: 'http://localhost:11434',
      model: 'codellama',
      temperature: 0.1,
    });
    expect(c.ask).toMatchObject({ dbUser: 'cmiyc_ask_reader', maxRows: 1000, semanticIndex: 'auto' });
    expect(() => loadConfig({ ASK_MAX_ROWS: '5000' })).toThrow(/ASK_MAX_ROWS/);
    expect(() => loadConfig({ ASK_SIMILARITY_THRESHOLD: '1.5' })).toThrow(/ASK_SIMILARITY_THRESHOLD/);
    expect(() => loadConfig({ ASK_DB_USER: "x'; DROP USER root; --" })).toThrow(/ASK_DB_USER/);
  });

  it('derive the read-only password from the database settings unless it is given', () => {
    const a = loadConfig({ DB_PASSWORD: 's3cret', DB_NAME: 'one' });
    expect(a.ask.dbPassword).toBe(deriveAskPassword('s3cret', 'one', 'cmiyc_ask_reader'));
    expect(a.ask.dbPassword).not.toBe(loadConfig({ DB_PASSWORD: 'other', DB_NAME: 'one' }).ask.dbPassword);
    expect(a.ask.dbPassword).toMatch(/^[A-Za-z0-9_-]{32}$/);
    expect(loadConfig({ ASK_DB_PASSWORD: 'given' }).ask.dbPassword).toBe('given');
  });
});
