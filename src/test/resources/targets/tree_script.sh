# A launcher that is not Python: starts one Python child after 0.5 s, a second once the test
# creates DIR/go, and waits for both. Usage: bash tree_script.sh PYTHON DIR
py=$1
dir=$2
sleep 0.5
"$py" "$dir/tree_child.py" child_one "$dir" &
while [ ! -e "$dir/go" ]; do sleep 0.02; done
"$py" "$dir/tree_child.py" child_two "$dir" &
wait
