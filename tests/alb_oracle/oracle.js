#!/usr/bin/env node
// The differential oracle for tests/alb_differential.rs: aws-jwt-verify
// 5.2.1's AlbJwtVerifier judging the same tokens as the crate.
//
//   node oracle.js < cases.jsonl
//
// One case per line: {"token","albArn","issuer","clientId","jwksUri","now"}
// (issuer / clientId may be null: not checked). Prints one line per case:
// "valid", or the name of the error class the verifier threw.
//
// The library's default fetcher speaks HTTPS only; the key endpoint of the
// tests is plain HTTP on loopback, so the library's own key cache is given
// a fetcher with the same contract (status other than 200:
// NonRetryableFetchError; other failures: FetchError after one retry).
// The kid check, the key URL, the PEM reading and the checks stay the
// library's. A fresh verifier per case: nothing carries over.
"use strict";
const http = require("http");
const { AlbJwtVerifier } = require("aws-jwt-verify");
const { AlbJwksCache } = require("aws-jwt-verify/alb-cache");
const { FetchError, NonRetryableFetchError } = require("aws-jwt-verify/error");

function getOnce(uri) {
  return new Promise((resolve, reject) => {
    const request = http.get(uri, (response) => {
      if (response.statusCode !== 200) {
        response.resume();
        reject(new NonRetryableFetchError(uri, `Status code is ${response.statusCode}, expected 200`));
        return;
      }
      const chunks = [];
      response.on("data", (chunk) => chunks.push(chunk));
      response.on("end", () => {
        const body = Buffer.concat(chunks);
        resolve(body.buffer.slice(body.byteOffset, body.byteOffset + body.byteLength));
      });
      response.on("error", (err) => reject(new FetchError(uri, err.message)));
    });
    request.setTimeout(3000, () => request.destroy(new Error("timed out")));
    request.on("error", (err) => reject(err instanceof FetchError ? err : new FetchError(uri, err.message)));
  });
}

const fetcher = {
  async fetch(uri) {
    try {
      return await getOnce(uri);
    } catch (err) {
      if (err instanceof NonRetryableFetchError) throw err;
      return getOnce(uri);
    }
  },
};

async function judge(testCase) {
  const realNow = Date.now;
  Date.now = () => testCase.now * 1000;
  try {
    const verifier = AlbJwtVerifier.create(
      {
        albArn: testCase.albArn,
        issuer: testCase.issuer,
        clientId: testCase.clientId,
        jwksUri: testCase.jwksUri,
      },
      { jwksCache: new AlbJwksCache({ fetcher }) },
    );
    await verifier.verify(testCase.token);
    return "valid";
  } catch (err) {
    return (err && err.constructor && err.constructor.name) || "Error";
  } finally {
    Date.now = realNow;
  }
}

async function main() {
  let input = "";
  for await (const chunk of process.stdin) input += chunk;
  for (const line of input.split("\n")) {
    if (line.trim()) console.log(await judge(JSON.parse(line)));
  }
}

main().catch((err) => {
  console.error(err);
  process.exit(2);
});
