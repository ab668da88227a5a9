# tclsh run.tcl <script.tcl> [tclargs...]: sources the Vitis stubs, then the script, as vitis_hls -f would.
source [file join [file dirname [info script]] stubs.tcl]
set script [lindex $argv 0]
set argv [lrange $argv 1 end]
set argc [llength $argv]
source $script
