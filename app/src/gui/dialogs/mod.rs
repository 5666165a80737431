//! Dialogs and prompts, one module each: the [`new_customer`], [`import`] and [`export`] windows, the
//! command [`palette`], and the sync screen's [`join_request`] and [`confirm_undo`] prompts.

pub mod confirm_undo;
pub mod export;
pub mod import;
pub mod join_request;
pub mod new_customer;
pub mod palette;
