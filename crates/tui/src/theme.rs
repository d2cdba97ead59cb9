//! Colours: a dark theme for laptops and a light one with strong contrast
//! for classroom projectors (which wash out pale colours and dark greys).
//!
//! Only the 16 named ANSI colours are used, so both themes look the same on
//! every terminal, true-colour or not. Leaves out: user-defined themes.

use ratatui::style::{Color, Modifier, Style};

/// Which theme to use, as the CLI's `--theme` names it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum ThemeName {
    #[default]
    Dark,
    Light,
}

impl std::str::FromStr for ThemeName {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        match s {
            "dark" => Ok(ThemeName::Dark),
            "light" => Ok(ThemeName::Light),
            other => Err(format!("unknown theme `{other}`: use `dark` or `light`")),
        }
    }
}

/// Every style the player draws with.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Theme {
    pub name: ThemeName,
    /// Text and background of the whole screen.
    pub base: Style,
    /// Secondary text and segments not sent yet.
    pub dim: Style,
    pub border: Style,
    pub border_focused: Style,
    pub title: Style,
    /// Headings inside panels (IPv4, TCP, FTP, ...).
    pub heading: Style,
    pub lifeline: Style,
    /// The control connection's arrows.
    pub control: Style,
    /// The data connection's arrows.
    pub data: Style,
    /// Further connections, by connection number.
    pub other: [Style; 3],
    pub dropped: Style,
    /// The current segment's ladder row.
    pub current: Style,
    /// Search hits' marker in the ladder's gutter.
    pub hit: Style,
    /// The selected field and its bytes.
    pub selected: Style,
    /// A socket state that changed in this step.
    pub changed: Style,
    /// Key names in hints and help.
    pub key: Style,
    pub warning: Style,
}

impl Theme {
    pub fn from_name(name: ThemeName) -> Theme {
        match name {
            ThemeName::Dark => Theme::dark(),
            ThemeName::Light => Theme::light(),
        }
    }

    pub fn dark() -> Theme {
        let bg = Color::Black;
        let fg = |c: Color| Style::new().fg(c).bg(bg);
        Theme {
            name: ThemeName::Dark,
            base: fg(Color::White),
            dim: fg(Color::DarkGray),
            border: fg(Color::Gray),
            border_focused: fg(Color::LightYellow).add_modifier(Modifier::BOLD),
            title: fg(Color::White).add_modifier(Modifier::BOLD),
            heading: fg(Color::LightCyan).add_modifier(Modifier::BOLD),
            lifeline: fg(Color::Gray),
            control: fg(Color::LightCyan),
            data: fg(Color::LightGreen),
            other: [
                fg(Color::LightMagenta),
                fg(Color::LightBlue),
                fg(Color::Yellow),
            ],
            dropped: fg(Color::LightRed).add_modifier(Modifier::BOLD),
            current: Style::new()
                .fg(Color::White)
                .bg(Color::Blue)
                .add_modifier(Modifier::BOLD),
            hit: fg(Color::LightMagenta).add_modifier(Modifier::BOLD),
            selected: Style::new().fg(Color::Black).bg(Color::LightCyan),
            changed: Style::new()
                .fg(Color::Black)
                .bg(Color::LightYellow)
                .add_modifier(Modifier::BOLD),
            key: fg(Color::LightYellow).add_modifier(Modifier::BOLD),
            warning: fg(Color::LightRed).add_modifier(Modifier::BOLD),
        }
    }

    /// Black on white with saturated colours and bold where it matters:
    /// readable from the back of a room.
    pub fn light() -> Theme {
        let bg = Color::White;
        let fg = |c: Color| Style::new().fg(c).bg(bg);
        Theme {
            name: ThemeName::Light,
            base: fg(Color::Black),
            dim: fg(Color::DarkGray),
            border: fg(Color::Black),
            border_focused: fg(Color::Blue).add_modifier(Modifier::BOLD),
            title: fg(Color::Black).add_modifier(Modifier::BOLD),
            heading: fg(Color::Blue).add_modifier(Modifier::BOLD),
            lifeline: fg(Color::Black),
            control: fg(Color::Blue).add_modifier(Modifier::BOLD),
            data: fg(Color::Magenta).add_modifier(Modifier::BOLD),
            other: [
                fg(Color::Green).add_modifier(Modifier::BOLD),
                fg(Color::Red),
                fg(Color::Cyan).add_modifier(Modifier::BOLD),
            ],
            dropped: fg(Color::Red).add_modifier(Modifier::BOLD),
            current: Style::new()
                .fg(Color::White)
                .bg(Color::Black)
                .add_modifier(Modifier::BOLD),
            hit: fg(Color::Red).add_modifier(Modifier::BOLD),
            selected: Style::new()
                .fg(Color::White)
                .bg(Color::Blue)
                .add_modifier(Modifier::BOLD),
            changed: Style::new()
                .fg(Color::Black)
                .bg(Color::Yellow)
                .add_modifier(Modifier::BOLD),
            key: fg(Color::Blue).add_modifier(Modifier::BOLD),
            warning: fg(Color::Red).add_modifier(Modifier::BOLD),
        }
    }

    /// The style of a connection's arrows: control and data by label, the
    /// rest by number.
    pub fn conn(&self, label: &str, conn: Option<u32>) -> Style {
        match (label, conn) {
            ("control", _) => self.control,
            ("data", _) => self.data,
            (_, Some(c)) => self.other[c as usize % self.other.len()],
            (_, None) => self.base,
        }
    }
}
