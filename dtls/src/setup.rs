//! Who is the DTLS client: the `a=setup` attribute (RFC 4145 §4) as
//! DTLS-SRTP and JSEP use it (RFC 5763 §5, RFC 8842 §5).

use core::fmt;
use core::str::FromStr;

use sansrtc_srtp::DtlsRole;

/// The value of an `a=setup` attribute.
///
/// <https://www.rfc-editor.org/rfc/rfc4145#section-4>
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Setup {
    /// `active`: this endpoint opens the connection (the DTLS client).
    Active,
    /// `passive`: this endpoint waits for it (the DTLS server).
    Passive,
    /// `actpass`: either; what every offer says (RFC 8842 §5.2, JSEP).
    ActPass,
    /// `holdconn`: no connection for now.
    HoldConn,
}

/// An `a=setup` value that is not one of the four.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("a=setup must be active, passive, actpass or holdconn")]
pub struct SetupParseError;

impl Setup {
    /// The value as SDP writes it.
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::Active => "active",
            Self::Passive => "passive",
            Self::ActPass => "actpass",
            Self::HoldConn => "holdconn",
        }
    }

    /// What an answerer puts in its answer to an offer that said `offer`:
    /// `active` to `actpass` (JSEP, RFC 8829 §5.3.1: the answerer is the
    /// DTLS client, so the offerer, which must wait for the answer anyway,
    /// needs no extra round trip), and the opposite of `active` or
    /// `passive`.
    ///
    /// <https://www.rfc-editor.org/rfc/rfc8842#section-5.3>
    pub const fn answer_to(offer: Self) -> Result<Self, RoleError> {
        match offer {
            Self::ActPass | Self::Passive => Ok(Self::Active),
            Self::Active => Ok(Self::Passive),
            Self::HoldConn => Err(RoleError::HoldConn),
        }
    }
}

impl FromStr for Setup {
    type Err = SetupParseError;

    fn from_str(text: &str) -> Result<Self, SetupParseError> {
        match text {
            "active" => Ok(Self::Active),
            "passive" => Ok(Self::Passive),
            "actpass" => Ok(Self::ActPass),
            "holdconn" => Ok(Self::HoldConn),
            _ => Err(SetupParseError),
        }
    }
}

impl fmt::Display for Setup {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Why two `a=setup` values give no DTLS role.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum RoleError {
    /// An answer said `actpass`: the answerer must choose (RFC 5763 §5).
    #[error("an answer must say active or passive, not actpass")]
    AnswerActPass,
    /// Both sides said `active`: two DTLS clients.
    #[error("both sides are active")]
    BothActive,
    /// Both sides said `passive`: two DTLS servers.
    #[error("both sides are passive")]
    BothPassive,
    /// One side said `holdconn`: no connection is wanted.
    #[error("holdconn: no connection is wanted")]
    HoldConn,
}

/// This endpoint's DTLS role from the `a=setup` of its own description
/// (`local`) and of the other side's (`remote`), where `offerer` says
/// whether ours was the offer.
///
/// An `active` side is the DTLS client and a `passive` one the server; the
/// offer may say `actpass` and leaves the choice to the answer, which must
/// say `active` or `passive`.
///
/// <https://www.rfc-editor.org/rfc/rfc5763#section-5>,
/// <https://www.rfc-editor.org/rfc/rfc8842#section-5>
///
/// ```
/// use sansrtc_dtls::{DtlsRole, Setup, negotiate_role};
///
/// // We offered actpass, the browser answered active: we are the server.
/// assert_eq!(negotiate_role(Setup::ActPass, Setup::Active, true)?, DtlsRole::Server);
/// // The browser offered actpass, we answer active: we are the client.
/// let answer = Setup::answer_to(Setup::ActPass)?;
/// assert_eq!(negotiate_role(answer, Setup::ActPass, false)?, DtlsRole::Client);
/// # Ok::<(), sansrtc_dtls::RoleError>(())
/// ```
pub const fn negotiate_role(
    local: Setup,
    remote: Setup,
    offerer: bool,
) -> Result<DtlsRole, RoleError> {
    let (offer, answer) = if offerer {
        (local, remote)
    } else {
        (remote, local)
    };
    if matches!(offer, Setup::HoldConn) || matches!(answer, Setup::HoldConn) {
        return Err(RoleError::HoldConn);
    }
    // The answer's value decides the answerer's role.
    let answerer = match (offer, answer) {
        (_, Setup::ActPass) => return Err(RoleError::AnswerActPass),
        (Setup::Active, Setup::Active) => return Err(RoleError::BothActive),
        (Setup::Passive, Setup::Passive) => return Err(RoleError::BothPassive),
        (_, Setup::Active) => DtlsRole::Client,
        (_, _) => DtlsRole::Server,
    };
    Ok(match (offerer, answerer) {
        (false, role) => role,
        (true, DtlsRole::Client) => DtlsRole::Server,
        (true, DtlsRole::Server) => DtlsRole::Client,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    const ALL: [Setup; 4] = [
        Setup::Active,
        Setup::Passive,
        Setup::ActPass,
        Setup::HoldConn,
    ];

    #[test]
    fn values_round_trip() {
        for setup in ALL {
            assert_eq!(setup.as_str().parse(), Ok(setup));
        }
        assert_eq!("ACTIVE".parse::<Setup>(), Err(SetupParseError));
    }

    #[test]
    fn every_combination_gives_opposite_roles_or_an_error_on_both_sides() {
        for offer in ALL {
            for answer in ALL {
                let offerer = negotiate_role(offer, answer, true);
                let answerer = negotiate_role(answer, offer, false);
                match (offerer, answerer) {
                    (Ok(a), Ok(b)) => assert_ne!(a, b, "{offer} / {answer}"),
                    (Err(a), Err(b)) => assert_eq!(a, b, "{offer} / {answer}"),
                    other => panic!("{offer} / {answer}: {other:?}"),
                }
            }
        }
    }

    #[test]
    fn the_table() {
        use DtlsRole::*;
        use Setup::*;
        // (offer, answer) -> the offerer's role
        let cases = [
            (ActPass, Active, Ok(Server)),
            (ActPass, Passive, Ok(Client)),
            (Active, Passive, Ok(Client)),
            (Passive, Active, Ok(Server)),
            (ActPass, ActPass, Err(RoleError::AnswerActPass)),
            (Active, ActPass, Err(RoleError::AnswerActPass)),
            (Active, Active, Err(RoleError::BothActive)),
            (Passive, Passive, Err(RoleError::BothPassive)),
            (HoldConn, Active, Err(RoleError::HoldConn)),
            (ActPass, HoldConn, Err(RoleError::HoldConn)),
        ];
        for (offer, answer, expected) in cases {
            assert_eq!(
                negotiate_role(offer, answer, true),
                expected,
                "{offer} / {answer}"
            );
        }
    }

    #[test]
    fn the_answer_chosen_always_works() {
        for offer in [Setup::Active, Setup::Passive, Setup::ActPass] {
            let answer = Setup::answer_to(offer).unwrap();
            assert!(negotiate_role(answer, offer, false).is_ok(), "{offer}");
        }
        assert_eq!(Setup::answer_to(Setup::ActPass), Ok(Setup::Active));
        assert_eq!(Setup::answer_to(Setup::HoldConn), Err(RoleError::HoldConn));
    }
}
