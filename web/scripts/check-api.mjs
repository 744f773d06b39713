// Fails when src/api/schema.ts (committed) is not what openapi-typescript makes of ../openapi.yaml
// today: the console's types and the API contract must never drift apart. Fix with
// `npm run gen:api` and commit the result.
import { readFile } from 'node:fs/promises'
import { fileURLToPath } from 'node:url'
import openapiTS, { astToString } from 'openapi-typescript'

const spec = new URL('../../openapi.yaml', import.meta.url)
const committed = fileURLToPath(new URL('../src/api/schema.ts', import.meta.url))

const fresh = astToString(await openapiTS(spec))
const current = await readFile(committed, 'utf8')
// The CLI adds a banner comment; compare the code only.
const strip = (text) => text.replace(/^\/\*\*[\s\S]*?\*\/\s*/, '').trim()
if (strip(fresh) !== strip(current)) {
  console.error(`${committed} is out of date with openapi.yaml: run \`npm run gen:api\` in web/ and commit it.`)
  process.exit(1)
}
console.log('src/api/schema.ts matches openapi.yaml')
