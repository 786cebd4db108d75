//! The Lua code the program itself runs (src/lua/chunks/*.lua), compiled to bytecode by
//! build.rs so that starting does not parse it. The source is kept too: should the bytecode not
//! load (a Lua built differently from the build script's), the source is compiled instead.

use mlua::{ChunkMode, Function, Lua};

pub struct Chunk {
    /// As tracebacks show it (`=crisp` shows as `crisp`).
    pub name: &'static str,
    pub source: &'static str,
    pub bytecode: &'static [u8],
}

include!(concat!(env!("OUT_DIR"), "/chunks.rs"));

impl Chunk {
    /// The chunk as a function, from its bytecode when this Lua accepts it.
    pub fn load(&self, lua: &Lua) -> mlua::Result<Function> {
        lua.load(self.bytecode)
            .set_name(self.name)
            .set_mode(ChunkMode::Binary)
            .into_function()
            .or_else(|_| {
                lua.load(self.source)
                    .set_name(self.name)
                    .set_mode(ChunkMode::Text)
                    .into_function()
            })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const ALL: [&Chunk; 5] = [
        &NAMESPACE,
        &PLAIN,
        &SHOW,
        &TRAMPOLINE_PROMPT,
        &TRAMPOLINE_SCRIPT,
    ];

    fn session_lua() -> Lua {
        // SAFETY: as the session's own state: the whole standard library, binary chunks allowed.
        unsafe { Lua::unsafe_new_with(mlua::StdLib::ALL, mlua::LuaOptions::default()) }
    }

    #[test]
    fn the_bytecode_loads_in_the_sessions_lua() {
        let lua = session_lua();
        for chunk in ALL {
            let loaded = lua
                .load(chunk.bytecode)
                .set_name(chunk.name)
                .set_mode(ChunkMode::Binary)
                .into_function();
            assert!(loaded.is_ok(), "{}: {:?}", chunk.name, loaded.err());
        }
    }

    #[test]
    fn the_bytecode_is_the_source_compiled() {
        let lua = session_lua();
        for chunk in ALL {
            let compiled = lua
                .load(chunk.source)
                .set_name(chunk.name)
                .into_function()
                .unwrap();
            assert_eq!(
                compiled.dump(false),
                chunk.bytecode,
                "{} is stale",
                chunk.name
            );
        }
    }

    #[test]
    fn source_is_the_fallback_for_bytecode_that_does_not_load() {
        let lua = session_lua();
        let broken = Chunk {
            name: "=test",
            source: "return 41 + 1",
            bytecode: b"\x1bLua\x99 not bytecode",
        };
        let f = broken.load(&lua).unwrap();
        assert_eq!(f.call::<i64>(()).unwrap(), 42);
        let info = f.info();
        assert_eq!(info.source.as_deref(), Some("=test"));
    }
}
