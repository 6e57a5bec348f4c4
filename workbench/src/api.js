// The HTTP API (docs/http-api.md): a CSRF token from the session, replaced by the one the
// login answer carries; every answer has the shape {ok, code, error}.
let csrfToken = null;

async function call(method, path, body) {
  const headers = { Accept: "application/json" };
  if (method !== "GET") {
    headers["Content-Type"] = "application/json";
    headers["X-CSRF-Token"] = csrfToken || "";
  }
  let response;
  try {
    response = await fetch(path, {
      method,
      headers,
      credentials: "same-origin",
      body: body === undefined ? undefined : JSON.stringify(body),
    });
  } catch {
    return { ok: false, code: "network", error: "the appliance cannot be reached" };
  }
  try {
    return await response.json();
  } catch {
    return { ok: false, code: "internal_error", error: `HTTP ${response.status}` };
  }
}

export async function currentSession() {
  const answer = await call("GET", "/api/v1/auth/session");
  if (answer.ok) csrfToken = answer.csrf_token;
  return answer;
}

export async function signIn(username, password) {
  if (!csrfToken) await currentSession();
  const answer = await call("POST", "/api/v1/auth/login", { username, password });
  if (answer.ok) csrfToken = answer.csrf_token;
  return answer;
}

export async function signOut() {
  const answer = await call("POST", "/api/v1/auth/logout", {});
  csrfToken = null;
  return answer;
}

// Any other API call; a write first gets a CSRF token if there is none, and once more
// if the server refused the one it had (it changes at sign-in).
export async function request(method, path, body) {
  if (method !== "GET" && !csrfToken) {
    const session = await currentSession();
    if (!session.ok) return session;
  }
  const answer = await call(method, path, body);
  if (answer.code === "csrf_failed" && method !== "GET") {
    const session = await currentSession();
    if (!session.ok) return session;
    return call(method, path, body);
  }
  return answer;
}
