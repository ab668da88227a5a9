# Stand-ins for the Vitis HLS Tcl commands, for running generated hls/<kernel>.tcl under plain tclsh.
# Each call is checked against the command's documented options (UG1399) and recorded, as one
# JSON array of strings per line, in the file named by UBIMOE_TCL_TRACE. An unknown option, a
# missing value, a value outside the documented set, or a command used out of order is an error.
# With UBIMOE_STUB_CSYNTH_DIR set, csynth_design copies <dir>/<top>.xml to the solution's
# syn/report/csynth.xml (what Vitis HLS writes); export_design writes a placeholder .xo.
# UBIMOE_STUB_FAIL_TOP=<kernel> makes csynth_design of that top fail.
# A report of the project's own, <dir>/<project directory name>/<top>.xml (the project: the directory
# holding design.yaml), comes before <dir>/<top>.xml
# (a sweep's designs each get theirs). With UBIMOE_STUB_CSYNTH_GATE=<file>, csynth_design waits
# until that file exists (at most 10 minutes), so a test can act on jobs while they are surely open.

set ::stub(trace) [open $::env(UBIMOE_TCL_TRACE) a]
set ::stub(project) ""
set ::stub(solution) ""
set ::stub(top) ""
set ::stub(synthesised) 0

proc stub_fail {msg} { return -code error "stub: $msg" }

# spec: option name -> "flag" | "value" | list of allowed values; npos: {min max} positional arguments
proc stub_parse {cmd spec npos argv} {
  set opts [dict create]
  set pos {}
  for {set i 0} {$i < [llength $argv]} {incr i} {
    set a [lindex $argv $i]
    if {[string index $a 0] eq "-" && ![string is double -strict $a]} {
      set name $a
      set inline ""
      set has_inline 0
      if {[set eq [string first = $a]] > 0} {
        set name [string range $a 0 [expr {$eq - 1}]]
        set inline [string range $a [expr {$eq + 1}] end]
        set has_inline 1
      }
      if {![dict exists $spec $name]} { stub_fail "$cmd: unknown option $name" }
      set kind [dict get $spec $name]
      if {$kind eq "flag"} {
        if {$has_inline && $inline ni {true false 0 1}} { stub_fail "$cmd: $name takes true/false, got '$inline'" }
        dict set opts $name [expr {$has_inline ? $inline : 1}]
        continue
      }
      if {$has_inline} { set v $inline } else {
        incr i
        if {$i >= [llength $argv]} { stub_fail "$cmd: $name needs a value" }
        set v [lindex $argv $i]
      }
      if {$kind ne "value" && $v ni $kind} { stub_fail "$cmd: $name '$v' is not one of: $kind" }
      dict set opts $name $v
    } else {
      lappend pos $a
    }
  }
  lassign $npos lo hi
  if {[llength $pos] < $lo || [llength $pos] > $hi} {
    stub_fail "$cmd: takes $lo..$hi positional arguments, got [llength $pos]: $pos"
  }
  return [list $opts $pos]
}

proc json_str {s} { return "\"[string map {\\ \\\\ \" \\\" \n \\n \t \\t} $s]\"" }
proc stub_record {cmd argv} {
  set items {}
  foreach a [linsert $argv 0 $cmd] { lappend items [json_str $a] }
  puts $::stub(trace) "\[[join $items ,]\]"
  flush $::stub(trace)
}
proc need_project {cmd} { if {$::stub(project) eq ""} { stub_fail "$cmd before open_project" } }
proc need_solution {cmd} { need_project $cmd; if {$::stub(solution) eq ""} { stub_fail "$cmd before open_solution" } }

proc open_project {args} {
  lassign [stub_parse open_project {-reset flag -upgrade flag -ide {classic vitis}} {1 1} $args] o p
  set ::stub(project) [lindex $p 0]
  set ::stub(solution) ""
  file mkdir $::stub(project)
  stub_record open_project $args
}
proc set_top {args} {
  lassign [stub_parse set_top {} {1 1} $args] o p
  need_project set_top
  set ::stub(top) [lindex $p 0]
  stub_record set_top $args
}
proc add_files {args} {
  lassign [stub_parse add_files {-tb flag -cflags value -csimflags value -blackbox value -appendflags flag} {1 1} $args] o p
  need_project add_files
  foreach f [lindex $p 0] { if {![file exists $f]} { stub_fail "add_files: no such file $f" } }
  stub_record add_files $args
}
proc open_solution {args} {
  lassign [stub_parse open_solution {-reset flag -flow_target {vitis vivado}} {1 1} $args] o p
  need_project open_solution
  if {$::stub(top) eq ""} { stub_fail "open_solution before set_top" }
  set ::stub(solution) [lindex $p 0]
  # a solution synthesised by an earlier run keeps its results unless it is reset
  if {[dict exists $o -reset]} {
    file delete -force [file join $::stub(project) $::stub(solution)]
    set ::stub(synthesised) 0
  } else {
    set ::stub(synthesised) [file isdirectory [file join $::stub(project) $::stub(solution) syn]]
  }
  stub_record open_solution $args
}
proc set_part {args} {
  lassign [stub_parse set_part {} {1 1} $args] o p
  need_solution set_part
  if {![regexp -nocase {^x[a-z0-9]+-[a-z0-9]+-[a-z0-9-]+$} [lindex $p 0]]} { stub_fail "set_part: '[lindex $p 0]' is not a part name" }
  stub_record set_part $args
}
proc create_clock {args} {
  lassign [stub_parse create_clock {-period value -name value} {0 0} $args] o p
  need_solution create_clock
  if {![dict exists $o -period] || ![string is double -strict [dict get $o -period]]} { stub_fail "create_clock: -period <ns> required" }
  stub_record create_clock $args
}
proc config_interface {args} {
  stub_parse config_interface {
    -clock_enable flag -default_slave_interface {none s_axilite} -m_axi_addr64 flag
    -m_axi_alignment_byte_size value -m_axi_auto_max_ports flag -m_axi_buffer_impl {auto lutram uram bram}
    -m_axi_latency value -m_axi_max_bitwidth value -m_axi_max_read_burst_length value
    -m_axi_max_widen_bitwidth value -m_axi_max_write_burst_length value -m_axi_min_bitwidth value
    -m_axi_num_read_outstanding value -m_axi_num_write_outstanding value -m_axi_offset {off direct slave}
    -register_reset_num value -s_axilite_data64 flag
  } {0 0} $args
  need_solution config_interface
  stub_record config_interface $args
}
proc csim_design {args} {
  stub_parse csim_design {-O flag -argv value -clean flag -ldflags value -mflags value -profile flag -setup flag} {0 0} $args
  need_solution csim_design
  stub_record csim_design $args
}
proc csynth_design {args} {
  stub_parse csynth_design {-dump_cfg flag -dump_post_cfg flag -synthesis_check flag} {0 0} $args
  need_solution csynth_design
  if {[info exists ::env(UBIMOE_STUB_FAIL_TOP)] && $::env(UBIMOE_STUB_FAIL_TOP) eq $::stub(top)} {
    puts "ERROR: \[HLS 200-70\] Compilation errors found (injected by the stub for $::stub(top))"
    stub_fail "csynth_design failed"
  }
  set ::stub(synthesised) 1
  set report [file join $::stub(project) $::stub(solution) syn report]
  file mkdir $report
  if {[info exists ::env(UBIMOE_STUB_CSYNTH_GATE)]} {
    for {set i 0} {$i < 6000 && ![file exists $::env(UBIMOE_STUB_CSYNTH_GATE)]} {incr i} { after 100 }
  }
  if {[info exists ::env(UBIMOE_STUB_CSYNTH_DIR)]} {
    # the project: the nearest directory up from here holding design.yaml
    set proj [pwd]
    while {![file exists [file join $proj design.yaml]] && [file dirname $proj] ne $proj} { set proj [file dirname $proj] }
    set own [file join $::env(UBIMOE_STUB_CSYNTH_DIR) [file tail $proj] $::stub(top).xml]
    set src [expr {[file exists $own] ? $own : [file join $::env(UBIMOE_STUB_CSYNTH_DIR) $::stub(top).xml]}]
    file copy -force $src [file join $report csynth.xml]
  }
  stub_record csynth_design $args
}
proc cosim_design {args} {
  stub_parse cosim_design {
    -O flag -argv value -compiled_library_dir value -coverage flag -disable_binary_tv flag
    -disable_deadlock_detection flag -disable_dependency_check flag -enable_dataflow_profiling flag
    -enable_fifo_sizing flag -ldflags value -mflags value -random_stall flag -rtl {verilog vhdl} -setup flag
    -tool {auto vcs modelsim riviera isim xsim ncsim xceligen} -trace_level {none all port port_hier}
    -wave_debug flag
  } {0 0} $args
  need_solution cosim_design
  if {!$::stub(synthesised)} { stub_fail "cosim_design before csynth_design" }
  stub_record cosim_design $args
}
proc export_design {args} {
  lassign [stub_parse export_design {
    -description value -display_name value -flow {syn impl} -format {ip_catalog xo syn_dcp sysgen}
    -ipname value -library value -output value -rtl {verilog vhdl} -taxonomy value -vendor value -version value
  } {0 0} $args] o p
  need_solution export_design
  if {!$::stub(synthesised)} { stub_fail "export_design before csynth_design" }
  if {[dict exists $o -output]} {
    set f [open [dict get $o -output] w]; puts $f "stub xo"; close $f
  }
  stub_record export_design $args
}
proc close_project {args} { stub_parse close_project {} {0 0} $args; stub_record close_project $args; set ::stub(project) "" }
proc close_solution {args} { stub_parse close_solution {} {0 0} $args; stub_record close_solution $args; set ::stub(solution) "" }
