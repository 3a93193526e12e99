-- wrk script: sends each request with the next bearer token from a file.
--
-- Usage: wrk -t THREADS -s rotate_tokens.lua URL -- TOKENS_FILE [START [THREADS]]
-- TOKENS_FILE holds one token per line (blank lines are skipped). Every wrk
-- thread pre-formats one request per token in init(), so request() only
-- returns a ready-made string; headers given with -H are kept in each request.
-- The run's first request carries token START (0-based, default 0), so that
-- successive runs continue the rotation where the last one stopped. With
-- THREADS threads (default 1; give wrk's -t), thread k sends tokens
-- START + k, START + k + THREADS, ...: together the threads walk the file in
-- order, and a token comes back only after every other one has been sent.

local requests = {}
local count = 0
local position = 0
local step = 1
local thread_number = 0

function setup(thread)
  thread:set("offset", thread_number)
  thread_number = thread_number + 1
end

local function number_arg(args, index, default)
  local value = tonumber(args[index] or default)
  if value == nil or value < 0 or value ~= math.floor(value) then
    error("rotate_tokens.lua: argument " .. index .. " must be a whole number, got "
          .. tostring(args[index]))
  end
  return value
end

function init(args)
  local path = args[1]
  if path == nil then
    error("rotate_tokens.lua needs the tokens file: wrk ... -- TOKENS_FILE [START [THREADS]]")
  end
  local start = number_arg(args, 2, "0")
  step = math.max(1, number_arg(args, 3, "1"))
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
  position = (start + (offset or 0)) % count
end

function request()
  local chosen = requests[position + 1]
  position = (position + step) % count
  return chosen
end
