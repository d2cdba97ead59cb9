//! Keys to actions. The table here is the one the help overlay shows.
//!
//! Leaves out: remapping, and keys with Alt (terminals disagree on them).

use crate::app::Action;
use ratatui::crossterm::event::{KeyCode, KeyEvent, KeyEventKind, KeyModifiers};

/// What the keyboard is talking to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Mode {
    /// The `/` prompt is open: keys are text.
    pub searching: bool,
    /// The help overlay is up: only closing keys work.
    pub help: bool,
}

pub fn action_for(mode: Mode, key: KeyEvent) -> Option<Action> {
    if key.kind == KeyEventKind::Release {
        return None;
    }
    let ctrl = key.modifiers.contains(KeyModifiers::CONTROL);
    if ctrl && matches!(key.code, KeyCode::Char('c') | KeyCode::Char('C')) {
        return Some(Action::Quit);
    }
    if ctrl || key.modifiers.contains(KeyModifiers::ALT) {
        return None;
    }
    if mode.searching {
        return match key.code {
            KeyCode::Esc => Some(Action::SearchCancel),
            KeyCode::Enter => Some(Action::SearchSubmit),
            KeyCode::Backspace => Some(Action::SearchBackspace),
            KeyCode::Char(c) => Some(Action::SearchChar(c)),
            _ => None,
        };
    }
    if mode.help {
        return match key.code {
            KeyCode::Char('?') | KeyCode::Esc => Some(Action::CloseHelp),
            KeyCode::Char('q') => Some(Action::Quit),
            _ => None,
        };
    }
    Some(match key.code {
        KeyCode::Right | KeyCode::Char('l') | KeyCode::Char(' ') => Action::Next,
        KeyCode::Left | KeyCode::Char('h') => Action::Prev,
        KeyCode::Down | KeyCode::Char('j') => Action::Down,
        KeyCode::Up | KeyCode::Char('k') => Action::Up,
        KeyCode::Char(']') => Action::NextStage,
        KeyCode::Char('[') => Action::PrevStage,
        KeyCode::Char('g') | KeyCode::Home => Action::First,
        KeyCode::Char('G') | KeyCode::End => Action::Last,
        KeyCode::Char('p') => Action::TogglePlay,
        KeyCode::Char('m') => Action::TogglePlayMode,
        KeyCode::Char('+') | KeyCode::Char('=') => Action::Faster,
        KeyCode::Char('-') => Action::Slower,
        KeyCode::Char('L') => Action::ToggleLang,
        KeyCode::Char('/') => Action::StartSearch,
        KeyCode::Char('n') => Action::NextHit,
        KeyCode::Char('N') => Action::PrevHit,
        KeyCode::Char('f') => Action::CycleFilter,
        KeyCode::Char('a') => Action::ToggleNumbers,
        KeyCode::Char('s') => Action::ToggleSlope,
        KeyCode::Char('t') => Action::ToggleTheme,
        KeyCode::Tab => Action::FocusNext,
        KeyCode::BackTab => Action::FocusPrev,
        KeyCode::Char('?') => Action::ToggleHelp,
        KeyCode::Char('q') | KeyCode::Esc => Action::Quit,
        _ => return None,
    })
}

/// The key table for the help overlay: (keys, English, Chinese).
pub const HELP: &[(&str, &str, &str)] = &[
    ("→ l Space", "next segment", "下一个报文段"),
    ("← h", "previous segment", "上一个报文段"),
    ("] [", "next / previous stage", "下一步 / 上一步"),
    ("g G", "first / last segment", "第一个 / 最后一个报文段"),
    ("p", "play / pause", "播放 / 暂停"),
    (
        "m",
        "play mode: step / real time",
        "播放方式：逐个 / 按真实时间",
    ),
    ("+ -", "faster / slower", "加速 / 减速"),
    ("L", "English / 中文", "English / 中文"),
    ("/", "search payloads and flags", "搜索载荷和标志位"),
    ("n N", "next / previous hit", "下一个 / 上一个匹配"),
    (
        "f",
        "filter: all / control / data / each connection",
        "筛选：全部 / 控制 / 数据 / 单个连接",
    ),
    ("a", "absolute / relative numbers", "绝对 / 相对序号"),
    (
        "s",
        "ladder: sloped by travel time / flat",
        "梯形图：按传输时间倾斜 / 水平",
    ),
    ("Tab", "move focus between panels", "在面板之间切换焦点"),
    (
        "↑ ↓",
        "select a field (segment panel), scroll",
        "选择字段（报文段面板）、滚动",
    ),
    ("t", "dark / light theme", "深色 / 浅色主题"),
    (
        "mouse",
        "click a ladder row to select it",
        "点击梯形图中的一行以选中",
    ),
    ("?", "this help", "本帮助"),
    ("q Esc", "quit", "退出"),
];

#[cfg(test)]
mod tests {
    use super::*;

    fn key(code: KeyCode) -> KeyEvent {
        KeyEvent::new(code, KeyModifiers::NONE)
    }

    #[test]
    fn keys_map_by_mode() {
        let normal = Mode::default();
        assert_eq!(
            action_for(normal, key(KeyCode::Char(' '))),
            Some(Action::Next)
        );
        assert_eq!(
            action_for(normal, key(KeyCode::Char('L'))),
            Some(Action::ToggleLang)
        );
        let searching = Mode {
            searching: true,
            help: false,
        };
        assert_eq!(
            action_for(searching, key(KeyCode::Char('q'))),
            Some(Action::SearchChar('q'))
        );
        assert_eq!(
            action_for(searching, key(KeyCode::Esc)),
            Some(Action::SearchCancel)
        );
        let help = Mode {
            searching: false,
            help: true,
        };
        assert_eq!(action_for(help, key(KeyCode::Esc)), Some(Action::CloseHelp));
        assert_eq!(action_for(help, key(KeyCode::Right)), None);
        let ctrl_c = KeyEvent::new(KeyCode::Char('c'), KeyModifiers::CONTROL);
        assert_eq!(action_for(searching, ctrl_c), Some(Action::Quit));
        let mut release = key(KeyCode::Right);
        release.kind = KeyEventKind::Release;
        assert_eq!(action_for(normal, release), None);
    }
}
