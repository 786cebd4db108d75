-- `crisp.show` (src/view.rs): an id is fetched from Lua, so a Crisp error keeps its table.
local render = ...
local type = type
return function(get)
  return function(v)
    if type(v) == "string" then v = get{conversation_id = v} end
    return render(v)
  end
end
