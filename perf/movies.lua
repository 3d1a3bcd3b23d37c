-- wrk script: POST a JSON movie with a bearer token (the `movies` route of
-- perf/run.sh). Every request is the same: wrk.format() builds it once from
-- wrk.method, wrk.body and wrk.headers, and wrk adds Host and Content-Length.
--
--   wrk -s perf/movies.lua http://127.0.0.1:8000/movies -- movie.json token
--
-- Arguments: BODY_FILE (default movie.json; a relative name is looked up next
-- to this script) and TOKEN (default token), sent as `Authorization: Bearer TOKEN`.

init = function(args)
  local file = args[1] or "movie.json"
  if file:sub(1, 1) ~= "/" then
    local here = debug.getinfo(1, "S").source:match("^@(.*/)") or "./"
    file = here .. file
  end
  local f = assert(io.open(file, "rb"))
  local body = f:read("*a")
  f:close()
  wrk.method = "POST"
  wrk.body = body
  wrk.headers["Content-Type"] = "application/json"
  wrk.headers["Authorization"] = "Bearer " .. (args[2] or "token")
end
