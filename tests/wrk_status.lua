-- wrk script (tests/t_http.c): counts the answers by status and prints them at the end
local threads = {}
function setup(thread) table.insert(threads, thread) end
function init(args) codes = {} end
function response(status, headers, body)
    codes[status] = (codes[status] or 0) + 1
    if status ~= 200 and not shown then shown = true; io.write("non-200 body: ", status, " ", body, "\n") end
end
function done(summary, latency, requests)
    for _, t in ipairs(threads) do
        for k, v in pairs(t:get("codes")) do io.write(string.format("status %d: %d\n", k, v)) end
    end
end
