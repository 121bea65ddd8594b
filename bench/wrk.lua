-- wrk script of bench/run.py.
--
--   wrk ... -s bench/wrk.lua URL -- get
--   wrk ... -s bench/wrk.lua URL -- rate TOKEN,TOKEN,... MOVIE_ID,MOVIE_ID,... THREADS
--   wrk ... -s bench/wrk.lua URL -- users TOKEN,TOKEN,...
--
--   wrk ... -s bench/wrk.lua URL -- paths PATH,PATH,... [uncached]
--
-- "get" repeats the request given on the command line (URL and -H headers).
-- "paths" GETs the paths in turn. With "uncached" each request adds a
-- different year_min below every film's year: the results stay the same (but
-- for films without a year), and requests seldom share a cache entry, so what
-- is measured is the query itself, not the cache.
-- "users" GETs the URL as each user in turn (one token per request, cycling).
-- "rate" sends PUT /api/v1/movies/{id}/rating/ with varying movies, users and
-- scores. Like real clients, a user has one write in flight at a time: each
-- of the THREADS wrk threads (--threads) takes its own share of the users and
-- hands them out in turn, so the requests in flight belong to different users. done() prints one line "BENCH_JSON {...}" with the figures; a
-- response with status 400 or above counts as an error, as do socket errors.

local threads = {}

function setup(thread)
  thread:set("thread_index", #threads)
  table.insert(threads, thread)
end

local function split(text)
  local items = {}
  for item in string.gmatch(text or "", "[^,]+") do
    table.insert(items, item)
  end
  return items
end

local mode = "get"
local tokens = {}
local movies = {}
local counter = 0
local static_request = nil
local paths = {}
local uncached = false
-- year_min values that filter out no film (the earliest year is 1870).
local YEARS_BELOW_EVERY_FILM = 1870

function init(args)
  mode = args[1] or "get"
  statuses = {}
  if mode == "paths" then
    paths = split(args[2])
    uncached = args[3] == "uncached"
    if #paths == 0 then
      error("paths needs a comma-separated list of paths")
    end
    counter = (thread_index or 0) * 7919
  end
  if mode == "rate" then
    local all_tokens = split(args[2])
    movies = split(args[3])
    local thread_count = tonumber(args[4] or "1")
    local index = thread_index or 0
    for position, token in ipairs(all_tokens) do
      if (position - 1) % thread_count == index then
        table.insert(tokens, token)
      end
    end
    if #tokens == 0 or #movies == 0 then
      error("rate needs tokens (at least one per thread) and movie ids")
    end
    -- Threads start far apart in the movie list as well.
    counter = index * 7919
  elseif mode == "users" then
    tokens = split(args[2])
    if #tokens == 0 then
      error("users needs tokens")
    end
    counter = (thread_index or 0) * 37
  end
end

function request()
  if mode == "paths" then
    counter = counter + 1
    local path = paths[(counter % #paths) + 1]
    if uncached then
      local year = math.floor(counter / #paths) % YEARS_BELOW_EVERY_FILM
      path = path .. "&year_min=" .. year
    end
    return wrk.format("GET", path)
  end
  if mode == "users" then
    counter = counter + 1
    local token = tokens[(counter % #tokens) + 1]
    return wrk.format("GET", nil, {["Authorization"] = "Bearer " .. token})
  end
  if mode ~= "rate" then
    if static_request == nil then
      static_request = wrk.format()
    end
    return static_request
  end
  counter = counter + 1
  local token = tokens[(counter % #tokens) + 1]
  local movie = movies[(math.floor(counter / #tokens) % #movies) + 1]
  local score = ((counter * 7) % 10 + 1) / 2
  local body = string.format('{"score": %.1f}', score)
  local headers = {
    ["Authorization"] = "Bearer " .. token,
    ["Content-Type"] = "application/json",
  }
  return wrk.format("PUT", "/api/v1/movies/" .. movie .. "/rating/", headers, body)
end

function response(status, headers, body)
  statuses[status] = (statuses[status] or 0) + 1
end

function done(summary, latency, requests)
  local codes = {}
  for _, thread in ipairs(threads) do
    local counts = thread:get("statuses") or {}
    for status, count in pairs(counts) do
      codes[status] = (codes[status] or 0) + count
    end
  end
  local parts = {}
  for status, count in pairs(codes) do
    table.insert(parts, string.format('"%d": %d', status, count))
  end
  local errors = summary.errors
  io.write(string.format(
    'BENCH_JSON {"requests": %d, "duration_us": %d, "p50_us": %d, "p90_us": %d, '
      .. '"p99_us": %d, "max_us": %d, "connect_errors": %d, "read_errors": %d, '
      .. '"write_errors": %d, "timeouts": %d, "status_errors": %d, '
      .. '"statuses": {%s}}\n',
    summary.requests, summary.duration, latency:percentile(50),
    latency:percentile(90), latency:percentile(99), latency.max,
    errors.connect, errors.read, errors.write, errors.timeout, errors.status,
    table.concat(parts, ", ")
  ))
end
