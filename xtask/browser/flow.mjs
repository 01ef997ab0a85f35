// Drives headless Chromium through the latchkey demo's built-in client:
// home page → connect (asks for `balance:read trade`, and `trade` requires SCA) → login →
// consent → SCA → back at the client, which shows the balance it fetched with its token.
// Usage: node flow.mjs BASE_URL SCREENSHOT_PATH CHROMIUM_PATH
import { chromium } from 'playwright-core';

const [base, screenshot, executablePath] = process.argv.slice(2);
const fail = (message) => { console.error(`browser flow: ${message}`); process.exit(1); };

const browser = await chromium.launch({
  executablePath,
  headless: true,
  args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
    '--disable-background-networking', '--disable-component-update', '--disable-sync'],
});
try {
  const page = await browser.newPage();
  page.setDefaultTimeout(15000);
  await page.goto(base + '/');
  const connect = page.locator('a[href*="/client/start"][href*="trade"]').first();
  if (await connect.count() === 0) fail('no "connect with trading" link on the home page');
  await connect.click();

  await page.waitForSelector('input[name="username"]');
  await page.fill('input[name="password"]', 'wrong-password');
  await page.fill('input[name="username"]', 'alice');
  await page.click('form [type="submit"]');
  await page.waitForSelector('input[name="password"]');
  if (!/incorrect|invalid|wrong/i.test(await page.content())) fail('a wrong password did not show an error');
  await page.fill('input[name="username"]', 'alice');
  await page.fill('input[name="password"]', 'alice-password');
  await page.click('form [type="submit"]');

  await page.waitForSelector('button[name="decision"][value="approve"]');
  const consent = await page.content();
  if (!consent.includes('trade') || !consent.includes('balance:read')) fail('consent page does not name the scopes');
  await page.click('button[name="decision"][value="approve"]');

  await page.waitForSelector('input[name="sca_code"]');
  await page.fill('input[name="sca_code"]', '123456');
  await page.click('form [type="submit"]');

  await page.waitForSelector('#balance');
  const text = await page.textContent('#balance');
  if (!/BTC/.test(text ?? '')) fail(`balance not shown: ${text}`);
  if (!page.url().startsWith(base + '/callback')) fail(`ended at ${page.url()}`);
  await page.screenshot({ path: screenshot, fullPage: true });
  console.log(`balance shown: ${text.replace(/\s+/g, ' ').trim()}`);

  // A third-party client: after consent the browser must follow the 303 to the client's
  // own origin (no form-action or other policy may stop it). That host does not exist
  // here, so what is checked is the browser's request to it, with code, state and iss.
  const challenge = 'E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM';
  await page.goto(`${base}/authorize?response_type=code&client_id=wallet-web&redirect_uri=${encodeURIComponent('https://wallet.example/callback')}&scope=balance%3Aread&state=xyz&code_challenge=${challenge}&code_challenge_method=S256`);
  await page.waitForSelector('input[name="username"]');
  await page.fill('input[name="username"]', 'alice');
  await page.fill('input[name="password"]', 'alice-password');
  await page.click('form [type="submit"]');
  await page.waitForSelector('button[name="decision"][value="approve"]');
  const [callback] = await Promise.all([
    page.waitForRequest((r) => r.url().startsWith('https://wallet.example/callback')),
    page.click('button[name="decision"][value="approve"]'),
  ]);
  const back = new URL(callback.url());
  if (!back.searchParams.get('code') || back.searchParams.get('state') !== 'xyz' || back.searchParams.get('iss') !== base) {
    fail(`third-party callback without code/state/iss: ${back}`);
  }
  console.log('third-party client redirected to its callback with code, state and iss');
} finally {
  await browser.close();
}
