from krmfn.cli import main

main()
