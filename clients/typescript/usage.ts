/**
 * Use the TypeScript types generated from /api/schema/ (openapi-typescript)
 * with openapi-fetch: sign up, sign in, list movies with filters, open one by
 * the id from the list, rate it, and read an error as its type.
 *
 * `clients/check` generates `schema.d.ts` beside this file and type-checks it
 * with `tsc --strict`; compiled and run against a server
 * (`node usage.js http://127.0.0.1:8000`) it exercises the API for real.
 */
import createClient from "openapi-fetch";

import type { components, paths } from "./schema";

type ErrorBody = components["schemas"]["Error"];
type ErrorCode = components["schemas"]["ErrorCodeEnum"];
type Ordering = NonNullable<
  paths["/api/v1/movies/"]["get"]["parameters"]["query"]
>["ordering"];

function fail(what: string, error: ErrorBody | undefined): never {
  throw new Error(`${what}: ${error?.code ?? "no body"} ${error?.detail ?? ""}`);
}

export async function main(baseUrl: string): Promise<void> {
  // Arrays go out repeated (?ordering=a&ordering=b), as the schema documents.
  const api = createClient<paths>({ baseUrl, querySerializer: { array: { style: "form", explode: true } } });
  const suffix = Math.random().toString(16).slice(2, 10);
  const email = `reader-${suffix}@example.com`;
  const password = `a-long-passphrase-${suffix}`;

  const signup = await api.POST("/api/v1/auth/signup/", {
    body: { email, username: `reader-${suffix}`, password },
  });
  if (signup.data === undefined) fail("sign-up", signup.error);
  const role: components["schemas"]["RoleEnum"] = signup.data.user.role;
  console.log(`signed up as ${signup.data.user.username} (role ${role})`);

  const token = await api.POST("/api/v1/auth/token/", { body: { email, password } });
  if (token.data === undefined) fail("sign-in", token.error);
  const headers = { Authorization: `Bearer ${token.data.access}` };

  const ordering: Ordering = ["-rating_count", "title"];
  const list = await api.GET("/api/v1/movies/", {
    params: { query: { genre: ["drama"], year_min: 1990, ordering, page_size: 5 } },
  });
  if (list.data === undefined) fail("list", list.error);
  const next: string | null = list.data.next;
  console.log(`${list.data.count} dramas since 1990; next page: ${next}`);
  const first = list.data.results[0];
  if (first === undefined) throw new Error("no movie in the list");

  // The id from the list is a number, and the path takes a number.
  const id: number = first.id;
  const movie = await api.GET("/api/v1/movies/{id}/", { params: { path: { id } }, headers });
  if (movie.data === undefined) fail("detail", movie.error);
  const mine: components["schemas"]["MovieMyRating"] | null = movie.data.my_rating;
  console.log(`${movie.data.title} (${movie.data.year ?? "?"}), my rating: ${mine?.score ?? "none"}`);

  const rated = await api.PUT("/api/v1/movies/{id}/rating/", {
    params: { path: { id } },
    body: { score: 4.5, review: "Worth it." },
    headers,
  });
  if (rated.data === undefined) fail("rate", rated.error);
  const review: string = rated.data.review;
  console.log(`rated ${rated.data.score}: ${JSON.stringify(review)}`);

  const refused = await api.PUT("/api/v1/movies/{id}/rating/", {
    params: { path: { id } },
    body: { score: 7 },
    headers,
  });
  if (refused.error === undefined) throw new Error("a score of 7 was accepted");
  const code: ErrorCode = refused.error.code;
  const messages: string[] = refused.error.fields["score"] ?? [];
  console.log(`${code}: ${refused.error.detail} ${messages.join(" ")}`);
}

main(process.argv[2] ?? "http://127.0.0.1:8000").catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
