-- POST one churn row (ROW_FILE, as CONTENT_TYPE, text/csv by default, with HEADERS_FILE's headers if set); with RATE
-- set, each connection waits an exponentially distributed time between requests so that all connections together send RATE requests/s as a Poisson stream.
local f = io.open(os.getenv("ROW_FILE"), "r")
wrk.method = "POST"
wrk.body = f:read("*a")
f:close()
wrk.headers["Content-Type"] = os.getenv("CONTENT_TYPE") or "text/csv"
-- HEADERS_FILE (optional): extra `Name: value` lines sent on every request (bench/auth.sh's SigV4 signature).
local headers_file = os.getenv("HEADERS_FILE")
if headers_file and headers_file ~= "" then
  for line in io.lines(headers_file) do
    local name, value = line:match("^([^:]+):%s*(.*)$")
    if name then wrk.headers[name] = value end
  end
end
local rate = tonumber(os.getenv("RATE") or "0")
local connections = tonumber(os.getenv("CONNECTIONS") or "64")
function delay()
  if rate <= 0 then return 0 end
  local mean = 1000 * connections / rate
  return -mean * math.log(1 - math.random())
end
