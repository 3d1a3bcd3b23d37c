-- wrk script: HTTP/1.1 pipelining. Every write sends DEPTH copies of the
-- request built from the command line's URL (wrk.format() uses wrk.method,
-- wrk.path and wrk.headers, and adds Host), and wrk counts each response.
--
--   wrk -s pipeline.lua http://127.0.0.1:8000/plaintext -- 16
--
-- DEPTH is the first script argument (default 16).

init = function(args)
  local depth = tonumber(args[1]) or 16
  local r = {}
  for i = 1, depth do
    r[i] = wrk.format()
  end
  req = table.concat(r)
end

request = function()
  return req
end
