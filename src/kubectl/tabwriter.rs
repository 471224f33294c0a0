//! Go's text/tabwriter as kubectl configures it (minwidth 6, tabwidth 4,
//! padding 3, padchar ' ', no flags): see printers.GetNewTabWriter.
