-- POST one breast-cancer row as text/csv, asking for CSV back.
local f = io.open(os.getenv("ROW_FILE"), "r")
wrk.method = "POST"
wrk.body = f:read("*a")
f:close()
wrk.headers["Content-Type"] = "text/csv"
wrk.headers["Accept"] = "text/csv"
