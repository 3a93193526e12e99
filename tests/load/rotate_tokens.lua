-- wrk script: sends each request with the next bearer token from a file.
--
-- Usage: wrk -s rotate_tokens.lua URL -- TOKENS_FILE
-- TOKENS_FILE holds one token per line (blank lines are skipped). Every wrk
-- thread pre-formats one request per token in init(), so request() only
-- returns a ready-made string; headers given with -H are kept in each request.
-- Threads start at different offsets so they do not send the same token at
-- the same moment.

local requests = {}
local count = 0
local next_index = 0
local thread_number = 0

function setup(thread)
  thread:set("offset", thread_number)
  thread_number = thread_number + 1
end

function init(args)
  local path = args[1]
  if path == nil then
    error("rotate_tokens.lua needs the tokens file: wrk ... -- TOKENS_FILE")
  end
  for line in io.lines(path) do
    if line ~= "" then
      count = count + 1
      wrk.headers["Authorization"] = "Bearer " .. line
      requests[count] = wrk.format()
    end
  end
  if count == 0 then
    error("no tokens in " .. path)
  end
  next_index = (offset or 0) * 7919 % count
end

function request()
  next_index = next_index % count + 1
  return requests[next_index]
end
