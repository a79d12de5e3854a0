//! Unit tests of private parts: the converters' tables against the rules files, the column tables against the shared FOCUS headers, and the small helpers.

mod rules;
mod tables;
